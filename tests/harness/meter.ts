// The meter as real processes in a throwaway home: the test certificates, fake providers behind
// the metered hosts ([upstream] resolve), config.toml, the daemon and the edge (from source unless
// told otherwise), and what tests read back: the store's rows, the logs, /health. Every process
// goes through the sandbox (ended by pid at stop) and is waited for on a condition with a generous
// deadline; one that does not come up fails naming what it was, why, and the end of its stderr.

import { Database, type SQLQueryBindings } from "bun:sqlite";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { EDGE_SOURCE, type LogLine, readLog } from "./edge-process.ts";
import { type FakeProvider, type FakeProviderOptions, makeTestCerts, startFakeProvider, type TestCerts } from "./fake-provider.ts";
import { BUN, canConnect, makeSandbox, portsToml, repoRoot, type Sandbox, STARTUP_MS, waitFor } from "./sandbox.ts";

/** `halton-meter` from source; the subcommand follows. */
export const METER_SOURCE = [BUN, join(repoRoot, "cmd/halton-meter.ts")];

export { STARTUP_HOOK_MS, STARTUP_MS } from "./sandbox.ts";

export type Row = Record<string, string | number | null>;

export type FakeOptions = Omit<FakeProviderOptions, "cert" | "key"> & {
  /** Present a certificate of a CA the daemon does not trust. */
  rogue?: boolean;
};

/** What config.toml says beyond the sandbox's ports and the fakes' addresses. */
export interface ConfigParts {
  /** Extra lines in [daemon] (head_timeout_ms = ...). */
  daemonToml?: string;
  /** Extra lines in [upstream] (proxy = ...). */
  upstreamToml?: string;
  /** Sections of their own ([capture], [edge]...). */
  toml?: string;
  /** Hosts pointed at 127.0.0.1:port in [upstream.resolve] besides the fakes' (a provider in a process of its own). */
  resolve?: Record<string, number>;
}

export interface MeterOptions extends ConfigParts {
  prefix?: string;
  /** The fake provider behind `hosts` (default: one Anthropic JSON answer to anything); false: none. */
  fake?: FakeOptions | false;
  /** The hosts that fake answers for (default api.anthropic.com and api.openai.com). */
  hosts?: readonly string[];
  /** More fakes, each behind a host of its own. */
  fakeFor?: Record<string, FakeOptions>;
  /** Start the daemon and the edge now (both default true); either can be started later. */
  daemon?: boolean;
  edge?: boolean;
}

export interface StartOptions {
  /** The argv (default: from source). */
  argv?: string[];
  /** Where this process sees the meter's home once the daemon runs (through /proc/PID/root for a daemon in a mount namespace of its own). */
  homeSeenAs?: (pid: number) => string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface MeterEnv {
  sb: Sandbox;
  certs: TestCerts;
  /** The fake behind `hosts` (throws when there is none). */
  readonly fake: FakeProvider;
  /** Every fake, by the host it answers for. */
  fakes: Record<string, FakeProvider>;
  /** The daemon and the edge last started (throws when none was). */
  readonly daemon: Subprocess;
  readonly edge: Subprocess;
  readonly ourCaPath: string;
  readonly ourCaPem: string;
  proxyUrl: string;
  /** A file in the meter's home, as this process sees it. */
  path(file: string): string;
  /** Rewrites config.toml: the ports, the fakes, and `parts` (what startMeter was given, by default). */
  writeConfig(parts?: ConfigParts): void;
  query<T = Row>(sql: string, ...params: SQLQueryBindings[]): T[];
  rows(where?: (r: Row) => boolean): Row[];
  /** Waits until at least `n` rows (those matching `where`) are committed; returns them. */
  waitRows(n: number, where?: (r: Row) => boolean, what?: string): Promise<Row[]>;
  waitRow(where: (r: Row) => boolean, what: string): Promise<Row>;
  logEvents(file?: "daemon.log" | "edge.log"): LogLine[];
  /** /health says ok, answered by the daemon we started. */
  healthy(): Promise<boolean>;
  /** Runs a process to its end in the sandbox's environment (plus `env`), tracked for cleanup. */
  run(argv: string[], opts?: { env?: Record<string, string>; cwd?: string }): Promise<RunResult>;
  startDaemon(opts?: StartOptions): Promise<Subprocess>;
  /** Signals the daemon by pid and waits for its exit code. */
  stopDaemon(signal?: "SIGTERM" | "SIGKILL"): Promise<number>;
  /** SIGTERM, then the same start again. */
  restartDaemon(): Promise<Subprocess>;
  startEdge(opts?: { argv?: string[] }): Promise<Subprocess>;
  /** The last 8 KiB a process this meter started wrote to stderr. */
  stderrOf(p: Subprocess): string;
  stop(): Promise<void>;
}

/** A process that did not come up: `exited` when it ended first, otherwise it missed STARTUP_MS. */
export class NotUp extends Error {
  constructor(
    message: string,
    readonly exited: boolean,
  ) {
    super(message);
  }
}

const DEFAULT_HOSTS = ["api.anthropic.com", "api.openai.com"];

/** config.toml: the ports, `[upstream]` trusting the test CA for the resolved hosts, and the parts. */
export function meterConfig(sb: Sandbox, caPath: string, resolve: Record<string, number>, parts: ConfigParts): string {
  const resolved = Object.entries(resolve).map(([h, port]) => `"${h}" = "127.0.0.1:${port}"\n`);
  const upstream = (resolved.length ? `ca_file = "${caPath}"\n` : "") + (parts.upstreamToml ?? "");
  return (
    portsToml(sb.ports, parts.daemonToml ?? "") +
    (parts.toml ? `${parts.toml}\n` : "") +
    (upstream ? `[upstream]\n${upstream}` : "") +
    (resolved.length ? `[upstream.resolve]\n${resolved.join("")}` : "")
  );
}

/** /health on `port` says ok (and, given `pid`, that process is the one answering). */
export async function healthy(port: number, pid?: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5000) });
    const h = (await r.json()) as { status?: string; pid?: number };
    return r.ok && h.status === "ok" && (pid === undefined || h.pid === pid);
  } catch {
    return false;
  }
}

/** A read of the store; nothing before the daemon created it. Waits out a writer's lock. */
export function queryStore<T = Row>(dbPath: string, sql: string, ...params: SQLQueryBindings[]): T[] {
  if (!existsSync(dbPath)) return [];
  const db = new Database(dbPath, { readonly: true });
  try {
    db.run("PRAGMA busy_timeout = 5000");
    return db.query(sql).all(...params) as T[];
  } catch (err) {
    if (String(err).includes("no such table")) return []; // the daemon has not created its tables yet
    throw err;
  } finally {
    db.close();
  }
}

export async function startMeter(opts: MeterOptions = {}): Promise<MeterEnv> {
  const sb = makeSandbox(opts.prefix ?? "hm-meter-");
  const fakes: Record<string, FakeProvider> = {};
  let main: FakeProvider | null = null;
  const stopFakes = () => new Set([main, ...Object.values(fakes)]).forEach((f) => f?.stop());
  try {
    const certs = await makeTestCerts(sb.root);
    const fakeFrom = ({ rogue, ...o }: FakeOptions) => startFakeProvider({ ...o, cert: rogue ? certs.rogueCert : certs.cert, key: rogue ? certs.rogueKey : certs.key });
    if (opts.fake !== false) {
      main = fakeFrom(opts.fake ?? {});
      for (const h of opts.hosts ?? DEFAULT_HOSTS) fakes[h] = main;
    }
    for (const [h, o] of Object.entries(opts.fakeFor ?? {})) fakes[h] = fakeFrom(o);
    const env = meterIn(sb, certs, main, fakes, stopFakes);
    env.writeConfig(opts);
    await Promise.all([opts.daemon === false ? null : env.startDaemon(), opts.edge === false ? null : env.startEdge()]);
    return env;
  } catch (err) {
    stopFakes();
    await sb.cleanup();
    throw err;
  }
}

function meterIn(sb: Sandbox, certs: TestCerts, main: FakeProvider | null, fakes: Record<string, FakeProvider>, stopFakes: () => void): MeterEnv {
  const stderr = new Map<Subprocess, { text: string; done: Promise<void> }>();
  let daemon: Subprocess | null = null;
  let edge: Subprocess | null = null;
  let home = sb.meterHome;
  let lastStart: StartOptions = {};
  let lastParts: ConfigParts = {};

  /** Starts a process through the sandbox, its stderr kept (and drained, so it never blocks). */
  function launch(argv: string[]): Subprocess {
    const p = sb.spawn(argv, { stdout: "ignore", stderr: "pipe" });
    const said = { text: "", done: Promise.resolve() };
    said.done = (async () => {
      const dec = new TextDecoder();
      for await (const chunk of p.stderr as ReadableStream<Uint8Array>) said.text = (said.text + dec.decode(chunk, { stream: true })).slice(-8192);
    })().catch(() => {});
    stderr.set(p, said);
    return p;
  }

  async function comeUp(p: Subprocess, what: string, ready: () => boolean | Promise<boolean>): Promise<void> {
    const deadline = Date.now() + STARTUP_MS;
    while (!(await ready())) {
      const exited = p.exitCode !== null || p.signalCode !== null;
      if (exited || Date.now() > deadline) {
        if (exited) await stderr.get(p)?.done;
        const how = exited ? `exited (${p.signalCode ?? `code ${p.exitCode}`}) first` : `was not up within ${STARTUP_MS / 1000} s (pid ${p.pid} still running)`;
        throw new NotUp(`${what} ${how}; its stderr: ${env.stderrOf(p).trim().slice(-2000) || "(nothing)"}`, exited);
      }
      await Bun.sleep(20);
    }
  }

  const dbPath = () => env.path("db.sqlite");
  const env: MeterEnv = {
    sb,
    certs,
    get fake() {
      if (!main) throw new Error("this meter has no fake provider");
      return main;
    },
    fakes,
    get daemon() {
      if (!daemon) throw new Error("no daemon was started");
      return daemon;
    },
    get edge() {
      if (!edge) throw new Error("no edge was started");
      return edge;
    },
    get ourCaPath() {
      return env.path("ca.pem");
    },
    get ourCaPem() {
      return readFileSync(env.path("ca.pem"), "utf8");
    },
    proxyUrl: `http://127.0.0.1:${sb.ports.edge}`,
    path: (file) => join(home, file),
    writeConfig(parts = lastParts) {
      lastParts = parts;
      const resolve: Record<string, number> = { ...parts.resolve };
      for (const [h, f] of Object.entries(fakes)) resolve[h] = f.port;
      sb.writeConfig(meterConfig(sb, certs.caPath, resolve, parts));
    },
    query: (sql, ...params) => queryStore(dbPath(), sql, ...params),
    rows: (where = () => true) => queryStore<Row>(dbPath(), "SELECT * FROM requests ORDER BY id").filter(where),
    waitRows(n, where, what = `${n} rows`) {
      return waitFor(() => {
        const got = env.rows(where);
        return got.length >= n ? got : null;
      }, what);
    },
    waitRow: (where, what) => waitFor(() => env.rows(where)[0], what),
    logEvents: (file = "daemon.log") => readLog(env.path(file)),
    healthy: () => (daemon ? healthy(sb.ports.api, daemon.pid) : Promise.resolve(false)),
    async run(argv, o = {}) {
      const p = sb.spawn(argv, { env: o.env, cwd: o.cwd });
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout as ReadableStream).text(), new Response(p.stderr as ReadableStream).text(), p.exited]);
      return { code, stdout, stderr };
    },
    async startDaemon(o = lastStart) {
      lastStart = o;
      const p = launch(o.argv ?? [...METER_SOURCE, "daemon"]);
      daemon = p;
      home = o.homeSeenAs?.(p.pid) ?? sb.meterHome;
      await comeUp(p, `the daemon (/health on 127.0.0.1:${sb.ports.api}, ca.pem)`, async () => (await healthy(sb.ports.api, p.pid)) && existsSync(env.path("ca.pem")));
      return p;
    },
    async stopDaemon(signal = "SIGTERM") {
      const p = env.daemon;
      if (p.exitCode === null && p.signalCode === null) process.kill(p.pid, signal);
      const code = await p.exited;
      daemon = null;
      return code;
    },
    async restartDaemon() {
      await env.stopDaemon();
      return env.startDaemon();
    },
    async startEdge(o = {}) {
      const p = launch(o.argv ?? EDGE_SOURCE);
      edge = p;
      await comeUp(p, `the edge (listening on 127.0.0.1:${sb.ports.edge})`, () => canConnect(sb.ports.edge));
      return p;
    },
    stderrOf: (p) => stderr.get(p)?.text ?? "",
    async stop() {
      stopFakes();
      await sb.cleanup();
    },
  };
  return env;
}
