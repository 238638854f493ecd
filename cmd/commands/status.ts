import { defineCommand } from "citty";
import { budgetAlerts, budgetsSet } from "../../core/budgets/state.ts";
import { type Config, formatConfigError, loadConfig } from "../../core/config/index.ts";
import { openReadStore } from "../../core/report/open.ts";
import { readEffectivePorts } from "../../core/ports/index.ts";
import { fetchHealth } from "../../core/service/health.ts";
import type { ServiceStatus } from "../../core/service/supervisor.ts";
import { programsFor } from "../../core/service/plan.ts";
import { binaryStaleness } from "../../core/service/stale.ts";
import { VERSION } from "../../core/version.ts";
import { EXIT } from "../_errors.ts";
import { lifecycleContext, printPanel } from "./_lifecycle.ts";

const STATE_WORD: Record<ServiceStatus["state"], string> = {
  running: "running",
  stopped: "stopped",
  failed: "FAILED",
  "not-installed": "not installed",
  "not-applicable": "n/a",
};

export default defineCommand({
  meta: { name: "status", description: "The daemon, edge and watchdog as the supervisor sees them, the ports, the install mode and /health (exit 0 only when all is well)" },
  args: {
    json: { type: "boolean", description: "Print JSON" },
  },
  async run({ args }) {
    // Status reports a broken config.toml (with its line and key) instead of refusing to run:
    // the edge keeps tunnelling on its defaults meanwhile, and this is where people look.
    const { paths, term, platform, sentinels } = await lifecycleContext({ lenient: true });
    const loaded = loadConfig(paths.config);
    const configError = loaded.ok ? null : loaded.error;
    const sup = platform.supervisor;
    const unavailable = await sup.unavailable();
    const services = unavailable ? [] : await sup.status();
    const ports = readEffectivePorts(paths.effectivePorts);
    const health = ports.ok ? await fetchHealth(ports.ports.api) : { ok: false as const, why: "no ports recorded (not installed?)" };
    const edgeUp = services.some((s) => s.name === "edge" && s.state === "running");
    const outdated = outdatedServices(services, health.ok ? health.answer.version : undefined);
    const healthy = health.ok && edgeUp;
    const budgets = loaded.ok ? budgetLines(paths.db, loaded.config.budgets) : [];

    if (args.json) {
      term.print(
        JSON.stringify(
          {
            supervisor: { kind: sup.kind, description: sup.describe(), unavailable },
            mode: sentinels.mode,
            config: configError ? { ok: false, error: { ...configError, line: configError.line ?? null }, said: formatConfigError(configError) } : { ok: true },
            sentinels,
            services,
            ports: ports.ok ? { edge: ports.ports.edge, internal: ports.ports.internal, api: ports.ports.api } : null,
            health: health.ok ? { ok: true, ...health.answer } : { ok: false, why: health.why },
            healthy,
            outdated,
            budgets,
          },
          null,
          2,
        ),
      );
      return healthy ? EXIT.ok : EXIT.failed;
    }
    const rows: Array<readonly [string, string]> = [
      ["supervisor", sup.describe()],
      ...(configError ? [["config", `BROKEN: ${formatConfigError(configError)}; the edge tunnels on its defaults meanwhile, and the daemon refuses to start until it is fixed`] as const] : []),
      ["install mode", sentinels.mode ? `${sentinels.mode}${sentinels.gracefulStop ? " (daemon stopped on purpose)" : ""}` : "not installed (run `halton-meter init`)"],
      ...services.map((s) => [s.name, `${STATE_WORD[s.state]}${s.pid ? `  pid ${s.pid}` : ""}  ${s.detail}`] as const),
      ["ports", ports.ok ? `edge 127.0.0.1:${ports.ports.edge}  daemon 127.0.0.1:${ports.ports.internal}  api 127.0.0.1:${ports.ports.api}` : ports.message],
      ["health", health.ok ? `ok: version ${health.answer.version ?? "?"}, pid ${health.answer.pid ?? "?"}, up ${health.answer.uptime_s ?? "?"} s` : health.why],
    ];
    for (const o of outdated) rows.push([`${o.name} outdated`, `${o.why}: run \`halton-meter upgrade\``]);
    for (const b of budgets) rows.push([b.severity === "exceeded" ? "budget EXCEEDED" : b.severity === "warning" ? "budget warning" : "budgets", b.message]);
    for (const b of health.ok ? (health.answer.tls_bypass ?? []) : []) rows.push(["tls bypass", `${b.process} for ${b.host}: refused our certificate (${b.reason}); tunnelled raw until ${b.until} or a daemon restart`]);
    printPanel(term, "Halton Meter status", rows, unavailable ? [`${unavailable.reason}.`, `Fix: ${unavailable.hint}`] : []);
    for (const o of outdated) term.warn(`the running ${o.name} is older than the installed binary (${o.why}); \`halton-meter upgrade\` restarts it`);
    return healthy ? EXIT.ok : EXIT.failed;
  },
});

/** Running processes older than the installed binaries: replaced files (Linux) or an older daemon version. */
function outdatedServices(services: ServiceStatus[], daemonVersion: string | undefined): Array<{ name: string; why: string }> {
  const programs = programsFor({ execPath: process.execPath, main: Bun.main });
  const out: Array<{ name: string; why: string }> = [];
  for (const s of services) {
    if (s.state !== "running" || !s.pid || !programs.compiled) continue;
    const binary = s.name === "edge" ? programs.edge[0]! : programs.meter[0]!;
    if (binaryStaleness(s.pid, binary) === "replaced") out.push({ name: s.name, why: `pid ${s.pid} still runs the binary that ${binary} replaced` });
  }
  if (daemonVersion && daemonVersion !== VERSION && !out.some((o) => o.name === "daemon")) out.push({ name: "daemon", why: `it reports version ${daemonVersion}, the installed one is ${VERSION}` });
  return out;
}

/** The `[budgets]` alerts in effect, read from the store; a store that cannot be read says so in one line. */
function budgetLines(db: string, budgets: Config["budgets"]): Array<{ severity: string; message: string }> {
  if (!budgetsSet(budgets)) return [];
  const opened = openReadStore(db);
  if (!opened.ok) return [{ severity: "unknown", message: `cannot check the budgets: ${opened.message}` }];
  try {
    return budgetAlerts(opened.store, budgets, Date.now()).map(({ severity, message }) => ({ severity, message }));
  } catch (err) {
    return [{ severity: "unknown", message: `cannot check the budgets: ${(err as Error).message}` }];
  } finally {
    opened.store.close();
  }
}
