// The no-systemd fallback (containers, CI, WSL): detached processes, their specs and pid files in
// HALTON_METER_HOME/run, their output in HALTON_METER_HOME/*.log. Nothing restarts them: after a
// crash or a reboot, `halton-meter start` (or `status`) is how you find out and bring them back.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../../core/fs/atomic.ts";
import type { InstallPlan, ServiceName, ServiceSpec, ServiceStatus, Supervisor, Unavailable } from "../../core/service/supervisor.ts";
import { ServiceError } from "../../core/service/errors.ts";
import { WATCHDOG_ROW } from "./linux-rows.ts";
import { isRunning, kill, type PidRecord, startTimeOf, terminate } from "./proc.ts";
import { PROXY_ENV } from "./unit.ts";

export interface FallbackOptions {
  /** HALTON_METER_HOME. */
  home: string;
  /** The environment the processes start from (proxy variables are dropped). */
  env?: Record<string, string | undefined>;
  /** How long a stop waits after SIGTERM before SIGKILL (the daemon drains for up to 30 s). */
  stopGraceMs?: number;
}

const OURS: ServiceName[] = ["edge", "daemon"];

export function createFallbackSupervisor(opts: FallbackOptions): Supervisor {
  const runDir = join(opts.home, "run");
  const specFile = (name: ServiceName) => join(runDir, `${name}.json`);
  const pidFile = (name: ServiceName) => join(runDir, `${name}.pid`);
  const grace = opts.stopGraceMs ?? 35_000;

  const readJson = <T>(file: string): T | null => {
    try {
      return JSON.parse(readFileSync(file, "utf8")) as T;
    } catch {
      return null;
    }
  };
  const readPid = (name: ServiceName) => {
    const rec = readJson<PidRecord>(pidFile(name));
    return rec && Number.isInteger(rec.pid) && rec.pid > 0 && Number.isFinite(rec.startTime) ? rec : null;
  };

  /**
   * The invoking shell's environment without what our rc block put there: a proxy pointing at
   * the edge would make the daemon proxy itself, and our CA has no business in its upstream trust.
   */
  function childEnv(spec: ServiceSpec): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.env ?? process.env)) {
      if (v === undefined || (PROXY_ENV as readonly string[]).includes(k) || v.startsWith(opts.home)) continue;
      env[k] = v;
    }
    return { ...env, ...spec.env };
  }

  async function stop(name: ServiceName): Promise<void> {
    const rec = readPid(name);
    if (rec) await terminate(rec, grace);
    rmSync(pidFile(name), { force: true });
  }

  async function start(name: ServiceName, { restart = false }: { restart?: boolean } = {}): Promise<void> {
    if (!OURS.includes(name)) return;
    const spec = readJson<ServiceSpec>(specFile(name));
    if (!spec) throw new ServiceError(`the ${name} is not installed (no ${specFile(name)})`, "run `halton-meter init`");
    const current = readPid(name);
    if (current && isRunning(current)) {
      if (!restart) return;
      await stop(name);
    }
    for (const log of [spec.stdoutLog, spec.stderrLog]) mkdirSync(dirname(log), { recursive: true });
    const out = openSync(spec.stdoutLog, "a", 0o600);
    const err = openSync(spec.stderrLog, "a", 0o600);
    let proc: ReturnType<typeof Bun.spawn>;
    try {
      proc = Bun.spawn(spec.argv, { env: childEnv(spec), cwd: opts.home, detached: true, stdin: "ignore", stdout: out, stderr: err });
    } catch (e) {
      throw new ServiceError(`cannot start the ${name}: ${(e as Error).message}`, `is ${spec.argv[0]} still there? \`halton-meter init\` records the programs again`);
    } finally {
      closeSync(out);
      closeSync(err);
    }
    proc.unref();
    const startTime = startTimeOf(proc.pid);
    if (startTime === null) throw new ServiceError(`the ${name} exited as soon as it started`, `see ${spec.stderrLog}`);
    const rec: PidRecord = { pid: proc.pid, startTime, argv: spec.argv, startedAt: new Date().toISOString() };
    writeFileAtomic(pidFile(name), `${JSON.stringify(rec)}\n`, 0o600);
  }

  function statusOf(name: ServiceName): ServiceStatus {
    const installed = existsSync(specFile(name));
    const rec = readPid(name);
    if (rec && isRunning(rec)) {
      const note = installed ? "nothing restarts it if it dies" : "uninstalled gracefully: it runs until it exits or the machine reboots";
      return { name, state: "running", pid: rec.pid, detail: `started ${rec.startedAt} (${note})` };
    }
    if (!installed) return { name, state: "not-installed", pid: null, detail: `no ${specFile(name)}` };
    if (rec) return { name, state: "failed", pid: null, detail: `pid ${rec.pid} has exited (crashed or killed); nothing restarts it: run \`halton-meter start\`` };
    return { name, state: "stopped", pid: null, detail: "stopped" };
  }

  return {
    kind: "fallback",
    describe: () => `fallback: detached processes with pid files in ${runDir}; nothing restarts them after a crash or a reboot (run \`halton-meter start\`)`,

    async unavailable(): Promise<Unavailable | null> {
      return existsSync("/proc/self/stat") ? null : { reason: "the fallback supervisor needs Linux's /proc to tell its processes apart", hint: "on macOS the meter runs under launchd" };
    },

    async install(plan: InstallPlan, { clean }): Promise<void> {
      mkdirSync(runDir, { recursive: true, mode: 0o700 });
      for (const spec of plan.services.filter((s) => OURS.includes(s.name))) {
        if (clean) rmSync(specFile(spec.name), { force: true });
        writeFileAtomic(specFile(spec.name), `${JSON.stringify(spec, null, 2)}\n`, 0o600);
      }
    },

    start,
    stop,

    async status(): Promise<ServiceStatus[]> {
      return [...OURS.map(statusOf), WATCHDOG_ROW];
    },

    async remove(names): Promise<void> {
      for (const name of names.filter((n) => OURS.includes(n))) {
        await stop(name);
        rmSync(specFile(name), { force: true });
      }
    },

    async release(names): Promise<void> {
      // The pid file stays: a later `uninstall` or `init` still finds the process by it.
      for (const name of names.filter((n) => OURS.includes(n))) rmSync(specFile(name), { force: true });
    },

    async reset(): Promise<string[]> {
      const done: string[] = [];
      for (const name of OURS) {
        const rec = readPid(name);
        if (!rec) continue;
        if (!isRunning(rec)) {
          rmSync(pidFile(name), { force: true });
          done.push(`${name}: stale pid file (pid ${rec.pid} gone) removed`);
        } else if (name === "edge") {
          // The edge owns the user-facing port: rescue keeps a live one (fail-open invariant 1).
          done.push(`edge: pid ${rec.pid} kept (it owns the user-facing port)`);
        } else {
          const how = await kill(rec);
          rmSync(pidFile(name), { force: true });
          done.push(`${name}: pid ${rec.pid} ${how}`);
        }
      }
      if (done.length === 0) done.push("no recorded processes");
      return done;
    },
  };
}
