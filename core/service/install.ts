// `init`: everything a working install needs, idempotently, then the self-test.
// CA, trust bundle, login keychain (macOS) -> ports -> units -> shell rc block -> sentinels ->
// edge and daemon running -> self-test (30 s). A failed self-test with `clean` rolls back what
// init set up, leaving a running edge to serve in passthrough and every byte of user data in place.

import { existsSync } from "node:fs";
import type { Config } from "../config/schema.ts";
import { interceptedHosts } from "../intercept.ts";
import type { StatePaths } from "../paths.ts";
import { chooseAndRecordPorts, type Ports, readEffectivePorts, runningEdgePort } from "../ports/index.ts";
import { isPermittedHost } from "../tls/host.ts";
import { ServiceError } from "./errors.ts";
import { tailLines } from "./log-tail.ts";
import { buildInstallPlan, type Programs, servicesFor } from "./plan.ts";
import { allRcFiles, applyRcBlock, rcEnv, rcFilesFor, removeRcBlock, renderRcBlock } from "./rc-block.ts";
import { runSelfTest, type SelfTestResult } from "./self-test.ts";
import { clearSentinels, readSentinels, setGracefulStop, setProxyManaged, writeInstallSentinels } from "./sentinels.ts";
import type { InstallMode, ServiceStatus, Supervisor, SystemProxy } from "./supervisor.ts";
import { ensureTrust } from "./trust.ts";

/** The macOS login keychain (platform/darwin/keychain.ts): apps from the Dock trust only what it trusts. */
export interface CaKeychain {
  readonly path: string;
  /** Adds the CA as a trusted root unless this exact certificate is already there. */
  trust(caPath: string): Promise<"added" | "already">;
}

export interface InstallDeps {
  paths: StatePaths;
  config: Config;
  supervisor: Supervisor;
  systemProxy: SystemProxy | null;
  /** Null where there is none (Linux); left alone in env-only mode, where only shells use the meter. */
  keychain?: CaKeychain | null;
  /** The supervisor a previous init used, when it differs from this one: its processes go first. */
  previous: Supervisor | null;
  programs: Programs;
  userHome: string;
  shell: string | undefined;
  selfTestBudgetMs?: number;
  /** Progress, one line per step, as it happens. */
  progress?: (line: string) => void;
}

export interface InstallOptions {
  mode: InstallMode;
  clean: boolean;
  shellRc: boolean;
}

export interface InstallOutcome {
  ok: boolean;
  ports: Ports;
  steps: Array<readonly [string, string]>;
  selfTest: SelfTestResult;
  /** What the rollback undid (clean + failed self-test), else null. */
  rolledBack: string[] | null;
  /** daemon.log and daemon.err.log tails, when the self-test failed. */
  logTail: string[];
}

const running = (rows: ServiceStatus[], name: string) => rows.find((r) => r.name === name)?.state === "running";

/** An intercepted host our CA may sign for: the canary's target. */
function canaryHost(config: Config, permitted: readonly string[]): string {
  const hosts = [...interceptedHosts(config.capture.extra_hosts)];
  return hosts.find((h) => h === "api.anthropic.com" && isPermittedHost(h, permitted)) ?? hosts.find((h) => isPermittedHost(h, permitted)) ?? "api.anthropic.com";
}

function checkPrograms(programs: Programs): void {
  for (const argv of [programs.meter, programs.edge]) {
    const file = argv[argv.length - 1]!;
    if (!existsSync(file)) {
      throw new ServiceError(`${file} does not exist`, programs.compiled ? "halton-meter and halton-meter-edge must sit in the same folder: reinstall both (`make install`)" : "run init from a complete checkout");
    }
  }
}

export async function install(deps: InstallDeps, opts: InstallOptions): Promise<InstallOutcome> {
  const { paths, config, supervisor: sup } = deps;
  const steps: Array<readonly [string, string]> = [];
  const step = (label: string, detail: string) => {
    steps.push([label, detail]);
    deps.progress?.(`${label}: ${detail}`);
  };
  if (opts.mode === "full" && !deps.systemProxy) {
    throw new ServiceError("full mode sets the system proxy, and this platform has none for Halton Meter to manage", "use --apps (the default: proxy env for every new shell) or --no-apps");
  }
  checkPrograms(deps.programs);

  const trust = ensureTrust(paths, config);
  step("CA", `${trust.ca.created ? "created" : "kept"} ${trust.ca.certPath} (SHA-256 ${trust.ca.fingerprint256.slice(0, 23)}...)`);
  step("trust bundle", `${trust.bundleWritten ? "written" : "current"}: ${paths.trustBundle}`);
  const prior = readSentinels(paths);
  // Before any service changes, so apps trust the CA before they are pointed at the meter. A
  // clean rebuild of an install (rescue, init --clean) keeps the CA's trust state as it is (seed 000).
  if (deps.keychain && opts.mode !== "env-only") {
    if (opts.clean && prior.mode !== null) step("keychain", `left as it was in ${deps.keychain.path} (--clean keeps the CA's trust state)`);
    else {
      const added = (await deps.keychain.trust(trust.ca.certPath)) === "added";
      step("keychain", `CA ${added ? "added to" : "already trusted in"} ${deps.keychain.path} as a trusted root`);
    }
  }

  if (deps.previous) {
    await deps.previous.remove(servicesFor(deps.previous.kind));
    step("previous supervisor", `${deps.previous.kind}: its services were stopped and removed`);
  }

  // Ports our own running processes hold are ours to keep: the edge never moves off its port
  // (its own record says which, whatever effective-ports.json says; an edge from before that
  // record existed is taken at the file's word).
  const before = await sup.status();
  const recorded = readEffectivePorts(paths.effectivePorts);
  const edgePort = runningEdgePort(paths.home) ?? (recorded.ok && running(before, "edge") ? recorded.ports.edge : null);
  const held = new Set<number>();
  if (recorded.ok && running(before, "daemon")) for (const p of [recorded.ports.internal, recorded.ports.api]) held.add(p);
  const chosen = chooseAndRecordPorts(paths.effectivePorts, config, held, edgePort);
  if (!chosen.ok) throw new ServiceError(chosen.message, `change [daemon] ${chosen.name === "edge" ? "edge_port" : `${chosen.name}_port`} in ${paths.config}, or free the port`);
  const ports = chosen.ports;
  step("ports", `edge 127.0.0.1:${ports.edge}  daemon 127.0.0.1:${ports.internal}  api 127.0.0.1:${ports.api}${chosen.fallbacks.length ? ` (fallback for ${chosen.fallbacks.join(", ")}: default taken)` : ""}`);

  const plan = buildInstallPlan({ home: paths.home, mode: opts.mode, kind: sup.kind, programs: deps.programs });
  await sup.install(plan, { clean: opts.clean });
  step("supervisor", `${sup.kind}: ${plan.services.map((s) => s.name).join(", ")} ${opts.clean ? "rebuilt from scratch" : "installed"}`);

  if (opts.shellRc) {
    const files = rcFilesFor(deps.userHome, deps.shell);
    const changed = applyRcBlock(files, renderRcBlock(rcEnv(ports.edge, trust.env)));
    step("shell rc", `${changed.length ? "updated" : "current"}: ${files.join(", ")}`);
  } else step("shell rc", "not written: new shells get no proxy env (`halton-meter setup` prints the trust part)");

  writeInstallSentinels(paths, { mode: opts.mode, supervisor: sup.kind });
  setGracefulStop(paths, false);

  if (!running(before, "edge")) await sup.start("edge");
  await sup.start("daemon", { restart: running(before, "daemon") });
  if (plan.services.some((s) => s.name === "watchdog")) await sup.start("watchdog", { restart: true });
  step("processes", `edge ${running(before, "edge") ? "kept running (it owns the port)" : "started"}, daemon ${running(before, "daemon") ? "restarted" : "started"}`);

  const selfTest = await runSelfTest({
    ports,
    caPem: trust.ca.certPem,
    dbPath: paths.db,
    host: canaryHost(config, trust.ca.permittedDomains),
    budgetMs: deps.selfTestBudgetMs ?? 30_000,
    abortReason: async () => {
      // Under the fallback nothing revives a process that died; under systemd only a start limit stops revival.
      const rows = await sup.status();
      const dead = rows.find((r) => (r.name === "daemon" || r.name === "edge") && r.state === "failed" && (sup.kind !== "systemd" || r.detail.includes("start-limit")));
      return dead ? `the ${dead.name} is not running: ${dead.detail}` : null;
    },
  });
  if (selfTest.ok) {
    if (opts.mode === "full" && deps.systemProxy) {
      await deps.systemProxy.enable(ports.edge);
      setProxyManaged(paths, true);
      step("system proxy", `points at 127.0.0.1:${ports.edge}`);
    } else if (prior.proxyManaged && deps.systemProxy) {
      const restored = await deps.systemProxy.restore();
      setProxyManaged(paths, false);
      step("system proxy", `restored (${restored.length} change${restored.length === 1 ? "" : "s"})`);
    }
    return { ok: true, ports, steps, selfTest, rolledBack: null, logTail: [] };
  }

  const logTail = [...tailLines(paths.daemonLog, 20), ...tailLines(plan.services.find((s) => s.name === "daemon")!.stderrLog, 10)];
  const rolledBack = opts.clean ? await rollBack(deps, sup) : null;
  return { ok: false, ports, steps, selfTest, rolledBack, logTail };
}

/** Undo init, keeping data and a running edge (it serves in passthrough until reboot). */
async function rollBack(deps: InstallDeps, sup: Supervisor): Promise<string[]> {
  const done: string[] = [];
  const others = servicesFor(sup.kind).filter((n) => n !== "edge");
  await sup.remove(others);
  done.push(`${others.join(", ")} removed from ${sup.kind}`);
  await sup.release(["edge"]);
  done.push("edge unit removed; a running edge keeps serving in passthrough until reboot");
  const rc = removeRcBlock(allRcFiles(deps.userHome));
  if (rc.length) done.push(`rc block removed from ${rc.join(", ")}`);
  if (readSentinels(deps.paths).proxyManaged && deps.systemProxy) done.push(...(await deps.systemProxy.restore()));
  clearSentinels(deps.paths);
  done.push("install sentinels cleared (db.sqlite, config.toml and the CA are kept)");
  return done;
}
