// The lifecycle suites' world: compiled binaries (built once per test run into a temp folder),
// a sandbox HOME with pinned ports and a fake provider, the CLI as a real process, a client
// loop through the edge, and a guard proving user data survives every command.

import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeAtEnd } from "../harness/at-end.ts";
import { connectThrough } from "../harness/client.ts";
import type { FakeProvider } from "../harness/fake-provider.ts";
import { type Row, startMeter } from "../harness/meter.ts";
import { BUN, repoRoot, type Sandbox } from "../harness/sandbox.ts";

export interface Binaries {
  meter: string;
  edge: string;
}

let compiled: Promise<Binaries> | null = null;

/** Both executables, compiled like `make build` does, once per `bun test` process. */
export function compiledBinaries(): Promise<Binaries> {
  compiled ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "hm-lifecycle-bin-"));
    removeAtEnd(dir);
    const build = async (entries: string[], out: string) => {
      const p = Bun.spawn([BUN, "build", "--compile", "--minify", "--bytecode", "--format=esm", "--splitting", "--outfile", join(dir, out), ...entries.map((e) => join(repoRoot, e))], { stdout: "ignore", stderr: "pipe", cwd: repoRoot });
      const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
      if (code !== 0) throw new Error(`compiling ${entries.join(" ")} failed: ${err}`);
    };
    // The Makefile's DAEMON_ENTRIES: the API's query worker is embedded beside the CLI.
    await Promise.all([build(["cmd/halton-meter.ts", "core/api/query-worker.ts", "core/attribution/lookup-worker.ts"], "halton-meter"), build(["cmd/edge.ts"], "halton-meter-edge")]);
    return { meter: join(dir, "halton-meter"), edge: join(dir, "halton-meter-edge") };
  })();
  return compiled;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface StatusJson {
  supervisor: { kind: string; description: string };
  mode: string | null;
  sentinels: { mode: string | null; supervisor: string | null; gracefulStop: boolean };
  services: Array<{ name: string; state: string; pid: number | null; detail: string }>;
  ports: { edge: number; internal: number; api: number } | null;
  health: { ok: boolean; pid?: number };
  healthy: boolean;
}

export interface LifecycleEnv {
  sb: Sandbox;
  bins: Binaries;
  fake: FakeProvider;
  /** Extra environment for every CLI run (the supervisor choice, XDG_RUNTIME_DIR...). */
  env: Record<string, string>;
  cli(args: string[], extra?: Record<string, string>): Promise<CliResult>;
  status(): Promise<StatusJson>;
  service(s: StatusJson, name: string): StatusJson["services"][number];
  rows(): Row[];
  /** Every pid our services ever had, for the cleanup. */
  seen: Set<number>;
  cleanup(): Promise<void>;
}

/** The meter's home, config and fake provider (tests/harness/meter.ts); the CLI under test starts the services. */
export async function startLifecycleEnv(prefix: string, env: Record<string, string>): Promise<LifecycleEnv> {
  const [bins, meter] = await Promise.all([compiledBinaries(), startMeter({ prefix, hosts: ["api.anthropic.com"], daemon: false, edge: false })]);
  const { sb, fake } = meter;
  const seen = new Set<number>();
  const le: LifecycleEnv = {
    sb,
    bins,
    fake,
    env,
    async cli(args, extra = {}) {
      const p = Bun.spawn([bins.meter, ...args], { env: { ...sb.env, ...env, ...extra }, stdin: "ignore", stdout: "pipe", stderr: "pipe", cwd: sb.root });
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      return { code, stdout, stderr };
    },
    async status() {
      const r = await le.cli(["status", "--json"]);
      let s: StatusJson;
      try {
        s = JSON.parse(r.stdout) as StatusJson;
      } catch {
        throw new Error(`status --json printed no JSON (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      }
      for (const svc of s.services) if (svc.pid) seen.add(svc.pid);
      return s;
    },
    service: (s, name) => s.services.find((x) => x.name === name)!,
    rows: () => meter.rows(),
    seen,
    async cleanup() {
      for (const pid of [...seen, ...pidsInRunDir(sb.meterHome)]) killIfOurs(pid, bins);
      await meter.stop();
    },
  };
  return le;
}

function pidsInRunDir(home: string): number[] {
  const dir = join(home, "run");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".pid"))
    .map((f) => (JSON.parse(readFileSync(join(dir, f), "utf8")) as { pid: number }).pid);
}

/** Kills a pid only while its command line is one of our binaries: never a recycled pid. */
export function killIfOurs(pid: number, bins: Binaries): void {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (cmd.startsWith(bins.meter) || cmd.startsWith(bins.edge)) process.kill(pid, "SIGKILL");
  } catch {}
}

/** What no command but `uninstall --purge --include-logs` may touch: config, CA, captured rows. */
export interface DataGuard {
  check(what: string): void;
}

export function guardData(le: LifecycleEnv): DataGuard {
  const files = ["config.toml", "ca.pem", "ca-key.pem"].map((f) => join(le.sb.meterHome, f));
  const digest = (f: string) => createHash("sha256").update(readFileSync(f)).digest("hex");
  const before = new Map(files.map((f) => [f, digest(f)]));
  let rows = le.rows().length;
  return {
    check(what) {
      for (const f of files) {
        if (!existsSync(f)) throw new Error(`${what} deleted ${f}`);
        if (digest(f) !== before.get(f)) throw new Error(`${what} changed ${f}`);
      }
      if (!existsSync(join(le.sb.meterHome, "db.sqlite"))) throw new Error(`${what} deleted db.sqlite`);
      const now = le.rows().length;
      if (now < rows) throw new Error(`${what} lost rows: ${rows} -> ${now}`);
      rows = now;
    },
  };
}

/**
 * A client that keeps making fresh CONNECTs through the edge to `target` and checks the echo:
 * the fail-open promise is that it never sees a failure while the daemon stops, crashes or
 * restarts.
 */
export function clientLoop(edgePort: number, target: number): { stop(): Promise<{ ok: number; failures: string[] }> } {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const loop = (async () => {
    for (let i = 0; running; i++) {
      try {
        const c = await connectThrough(edgePort, `127.0.0.1:${target}`);
        c.write(`ping-${i}`);
        await c.untilText(`ping-${i}`, 5000);
        c.close();
        ok++;
      } catch (err) {
        failures.push(`#${i}: ${(err as Error).message}`);
      }
      await Bun.sleep(10);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ok, failures };
    },
  };
}
