// The meter as real processes for the chaos suite, on tests/harness/meter.ts: the compiled
// binaries copied into a throwaway install folder (so an upgrade can replace the file by rename),
// a daemon that can be killed, stopped, restarted and upgraded, and the faults around it: the API
// port taken by someone else, the store's files made read-only. Processes are only ever ended by pid.

import { copyFileSync, existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { Server, Subprocess } from "bun";
import { DIST } from "../harness/edge-process.ts";
import { type MeterEnv, NotUp } from "../harness/meter.ts";

export interface Meter {
  readonly env: MeterEnv;
  readonly install: string;
  daemon: Subprocess | null;
  edge: Subprocess;
  /** Starts the daemon and waits for /health; null when it exits first (a port taken). */
  startDaemon(): Promise<Subprocess | null>;
  kill9(): Promise<void>;
  /** SIGSTOP (on) or SIGCONT (off): a hung daemon whose sockets still accept, as a blocked loop's do. */
  freeze(on: boolean): void;
  /** SIGTERM and wait for the graceful exit. */
  stop(): Promise<void>;
  /** A new binary renamed over the installed one, then stop and start. */
  upgrade(): Promise<void>;
  /** Another process's listener on the API port that answers every request 200 "ok". */
  takeApiPort(): Server<undefined>;
  /** The store's files refuse writes (even root's: `chattr +i`); false when that cannot be done here. */
  readOnly(on: boolean): Promise<boolean>;
  healthy(): Promise<boolean>;
  /** Daemons that had exited by themselves before the suite ended them: how, and their stderr. */
  readonly unexpectedExits: string[];
  rows(): Array<{ user_agent: string | null; n: number; complete: number }>;
  integrity(): string;
}

// Not db.sqlite-shm: SQLite maps the WAL index into memory, and a store of a mapped file that
// turned immutable is a SIGBUS (the daemon dies; the edge tunnels until it is back). Refused
// writes to the database and its WAL are the fault the capture writer must ride out.
const DB_FILES = ["db.sqlite", "db.sqlite-wal"];

/** Exit code of a helper command; 127 when it is not installed. */
async function run(argv: string[]): Promise<number> {
  try {
    return await Bun.spawn(argv, { stdout: "ignore", stderr: "ignore", stdin: "ignore" }).exited;
  } catch {
    return 127;
  }
}

/** Installs the compiled binaries into `env`'s sandbox and starts the edge from there. */
export async function startChaosMeter(env: MeterEnv): Promise<Meter> {
  const { sb } = env;
  const install = join(sb.root, "bin");
  mkdirSync(install);
  for (const b of ["halton-meter", "halton-meter-edge"]) {
    if (!existsSync(join(DIST, b))) throw new Error(`dist/${b} is missing: run \`make build\` first`);
    copyFileSync(join(DIST, b), join(install, b));
  }
  const daemonBin = join(install, "halton-meter");
  const sudo = process.getuid?.() === 0 ? [] : (await run(["sudo", "-n", "true"])) === 0 ? ["sudo", "-n"] : null;
  let readOnlyNow = false;

  /** Ends the daemon by pid; one that already exited on its own is noted, not an error. */
  async function end(signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    const p = meter.daemon;
    meter.daemon = null;
    if (!p) return;
    if (p.exitCode !== null || p.signalCode !== null) {
      await p.exited;
      meter.unexpectedExits.push(`daemon pid ${p.pid} exited by itself (code ${p.exitCode}, signal ${p.signalCode}): ${env.stderrOf(p).trim().slice(-500)}`);
    }
    await env.stopDaemon(signal);
  }

  const meter: Meter = {
    env,
    install,
    daemon: null,
    edge: await env.startEdge({ argv: [join(install, "halton-meter-edge")] }),
    async startDaemon() {
      try {
        meter.daemon = await env.startDaemon({ argv: [daemonBin, "daemon"] });
      } catch (err) {
        if (!(err instanceof NotUp && err.exited)) throw err;
        meter.daemon = null;
      }
      return meter.daemon;
    },
    async kill9() {
      await end("SIGKILL");
    },
    freeze(on) {
      if (meter.daemon) process.kill(meter.daemon.pid, on ? "SIGSTOP" : "SIGCONT");
    },
    async stop() {
      await end("SIGTERM");
    },
    async upgrade() {
      const next = join(install, ".halton-meter.new");
      copyFileSync(join(DIST, "halton-meter"), next);
      renameSync(next, daemonBin);
      await meter.stop();
      await meter.startDaemon();
    },
    takeApiPort() {
      return Bun.serve({ hostname: "127.0.0.1", port: sb.ports.api, fetch: () => Response.json({ status: "ok", version: "impostor" }) });
    },
    async readOnly(on) {
      if (sudo === null) return false;
      const files = DB_FILES.map((f) => join(sb.meterHome, f)).filter((f) => existsSync(f));
      const code = await run([...sudo, "chattr", on ? "+i" : "-i", ...files]);
      readOnlyNow = on && code === 0;
      return code === 0;
    },
    healthy: () => env.healthy(),
    unexpectedExits: [],
    rows: () => env.query("SELECT user_agent, count(*) AS n, sum(tokens_complete) AS complete FROM requests GROUP BY user_agent"),
    integrity: () => env.query<{ integrity_check: string }>("PRAGMA integrity_check").map((r) => r.integrity_check).join("; "),
  };
  // Whatever happens, the store's files must not stay immutable: the sandbox could not be removed.
  const cleanup = sb.cleanup;
  sb.cleanup = async () => {
    if (readOnlyNow) await meter.readOnly(false);
    await cleanup();
  };
  return meter;
}
