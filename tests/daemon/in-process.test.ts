// The daemon in-process (core/daemon/start.ts), beside the suites that run it as a process: a
// throwaway HALTON_METER_HOME, random loopback ports, the fake provider. A request through the
// internal port lands a row, /health answers, and stop() frees the ports and the store; start-ups
// that cannot work fail with a DaemonStartError that says why, having closed what they opened.

import { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { TCPSocketListener } from "bun";
import { loadConfig } from "../../core/config/index.ts";
import { type Daemon, type DaemonDeps, DaemonStartError, startDaemon } from "../../core/daemon/start.ts";
import { memoryLog } from "../../core/log/jsonl.ts";
import { type StatePaths, statePaths } from "../../core/paths.ts";
import { isPortFree, writeEffectivePorts } from "../../core/ports/index.ts";
import { insertRows, openStore } from "../../core/store/index.ts";
import { setProxyManaged, writeInstallSentinels } from "../../core/service/sentinels.ts";
import type { SystemProxy } from "../../core/service/supervisor.ts";
import { VERSION } from "../../core/version.ts";
import { anthropicJson, type FakeProvider, makeTestCerts, MODEL, startFakeProvider, type TestCerts } from "../harness/fake-provider.ts";
import { makeSandbox, portsToml, type Sandbox, waitFor } from "../harness/sandbox.ts";
import { makeRow } from "../store/_fixtures.ts";

const MSG_BODY = JSON.stringify({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "hi" }] });

let base: Sandbox;
let certs: TestCerts;
let fake: FakeProvider;
const sandboxes: Sandbox[] = [];
const daemons: Daemon[] = [];
const listeners: TCPSocketListener[] = [];

beforeAll(async () => {
  base = makeSandbox("hm-inproc-");
  certs = await makeTestCerts(base.root);
  fake = startFakeProvider({ cert: certs.cert, key: certs.key, script: (_req, conn) => conn.write(anthropicJson({ input: 11, output: 22 })) });
}, 30_000);

afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop(0)));
  for (const l of listeners.splice(0)) l.stop(true);
  await Promise.all(sandboxes.splice(0).map((sb) => sb.cleanup()));
});

afterAll(async () => {
  fake?.stop();
  await base?.cleanup();
});

/** A fresh meter home whose config pins random ports and sends provider hosts to the fake. */
function home(): { sb: Sandbox; paths: StatePaths } {
  const sb = makeSandbox("hm-inproc-");
  sandboxes.push(sb);
  sb.writeConfig(`${portsToml(sb.ports)}[upstream]\nca_file = "${certs.caPath}"\n[upstream.resolve]\n"api.anthropic.com" = "127.0.0.1:${fake.port}"\n`);
  return { sb, paths: statePaths(sb.meterHome) };
}

function start(paths: StatePaths, over: Partial<DaemonDeps> = {}, log = memoryLog()) {
  const loaded = loadConfig(paths.config);
  if (!loaded.ok) throw new Error(`test config refused: ${loaded.error.message}`);
  const daemon = startDaemon({ paths, config: loaded.config, log, systemProxy: null, ...over });
  daemons.push(daemon);
  return { daemon, log };
}

/** The DaemonStartError a start-up throws (and the log it wrote), or a failed test. */
function startFails(paths: StatePaths) {
  const log = memoryLog();
  try {
    start(paths, {}, log);
  } catch (err) {
    if (err instanceof DaemonStartError) return { err, log };
    throw err;
  }
  throw new Error("the daemon started");
}

function rows(db: string): Array<Record<string, unknown>> {
  if (!existsSync(db)) return [];
  const conn = new Database(db, { readonly: true });
  try {
    return conn.query("SELECT * FROM requests ORDER BY id").all() as Array<Record<string, unknown>>;
  } finally {
    conn.close();
  }
}

const events = (log: ReturnType<typeof memoryLog>, name: string) => log.lines.filter((l) => l.event === name);

async function metered(internalPort: number, paths: StatePaths): Promise<Response> {
  return fetch("https://api.anthropic.com/v1/messages", {
    method: "POST",
    body: MSG_BODY,
    headers: { "content-type": "application/json" },
    proxy: `http://127.0.0.1:${internalPort}`,
    tls: { ca: readFileSync(paths.caCert, "utf8") },
  } as RequestInit);
}

test("a request through the internal port is metered, /health answers, stop() frees the ports and the store", async () => {
  const { sb, paths } = home();
  const { daemon, log } = start(paths);
  expect(daemon.ports).toEqual(sb.ports);
  expect(events(log, "daemon.startup.ready")).toEqual([expect.objectContaining({ version: VERSION, internal_port: sb.ports.internal, api_port: sb.ports.api })]);

  const res = await metered(daemon.ports.internal, paths);
  expect(res.status).toBe(200);
  expect(((await res.json()) as { usage: unknown }).usage).toEqual({ input_tokens: 11, output_tokens: 22 });
  const [row] = await waitFor(() => {
    const got = rows(paths.db);
    return got.length > 0 ? got : null;
  }, "the row");
  expect(row).toMatchObject({ provider: "anthropic", host: "api.anthropic.com", method: "POST", path: "/v1/messages", model: MODEL, status: 200, input_tokens: 11, output_tokens: 22, pid: process.platform === "linux" ? process.pid : null });

  const health = await fetch(`http://127.0.0.1:${daemon.ports.api}/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: "ok", version: VERSION, pid: process.pid, capture: { committed: 1, dropped: 0 } });

  const stopped = daemon.stop(1000);
  expect(daemon.stop(0)).toBe(stopped);
  await stopped;
  expect(events(log, "daemon.exit")).toEqual([expect.objectContaining({ signal: "stop", rows_committed: 1, rows_pending: 0 })]);
  expect(isPortFree(sb.ports.internal)).toBe(true);
  expect(isPortFree(sb.ports.api)).toBe(true);
  // The last connection to a WAL database checkpoints it and removes the -wal file on close.
  expect(existsSync(`${paths.db}-wal`)).toBe(false);

  // The same folder and ports again: the first daemon let go of everything.
  const again = start(paths).daemon;
  expect(again.ports).toEqual(sb.ports);
  const second = await fetch(`http://127.0.0.1:${again.ports.api}/health`);
  expect(((await second.json()) as { status: string }).status).toBe("ok");
  expect(rows(paths.db)).toHaveLength(1);
});

test("a database that is not SQLite: a store error saying what to do, the file untouched, no port held", () => {
  const { sb, paths } = home();
  const junk = "this is somebody's notes, not a database\n".repeat(100);
  writeFileSync(paths.db, junk);
  const { err, log } = startFails(paths);
  expect(err.kind).toBe("store");
  expect(err.message).toBe(`${paths.db} is not a SQLite database; Halton Meter left it untouched`);
  expect(err.hint).toContain("move db.sqlite aside");
  expect(events(log, "daemon.exit")).toEqual([expect.objectContaining({ level: "error", reason: err.message })]);
  expect(readFileSync(paths.db, "utf8")).toBe(junk);
  expect(isPortFree(sb.ports.internal)).toBe(true);
  expect(isPortFree(sb.ports.api)).toBe(true);
});

test("a pinned port taken before any start: refused up front, naming the key to change", () => {
  const { sb, paths } = home();
  listeners.push(Bun.listen({ hostname: "127.0.0.1", port: sb.ports.api, socket: { data() {} } }));
  const { err } = startFails(paths);
  expect(err.kind).toBe("ports");
  expect(err.message).toStartWith(`daemon.api_port = ${sb.ports.api} is pinned in config.toml but`);
  expect(existsSync(paths.db)).toBe(false);
});

test("the recorded API port taken by another process: a port-taken error, and the internal port and the store let go", () => {
  const { sb, paths } = home();
  // A recorded tuple that honours the pins is used as it is, so the taken port is met at bind.
  writeEffectivePorts(paths.effectivePorts, sb.ports);
  const squatter = Bun.listen({ hostname: "127.0.0.1", port: sb.ports.api, socket: { data() {} } });
  listeners.push(squatter);
  const { err } = startFails(paths);
  expect(err.kind).toBe("port-taken");
  expect(err.message).toBe(`a daemon port (${sb.ports.internal} or ${sb.ports.api}) on 127.0.0.1 is taken by another process`);
  expect(err.hint).toContain("halton-meter status");
  expect(isPortFree(sb.ports.internal)).toBe(true);
  expect(existsSync(`${paths.db}-wal`)).toBe(false);

  squatter.stop(true);
  expect(start(paths).daemon.ports).toEqual(sb.ports);
});

test("full mode: the system proxy is pointed at the edge at start-up and reset at stop", async () => {
  const { sb, paths } = home();
  writeInstallSentinels(paths, { mode: "full", supervisor: "fallback" });
  setProxyManaged(paths, true);
  const calls: string[] = [];
  const systemProxy: SystemProxy = {
    enable: async (port) => void calls.push(`enable ${port}`),
    restore: async () => (calls.push("restore"), []),
    reset: async () => (calls.push("reset"), ["Wi-Fi"]),
  };
  const { daemon, log } = start(paths, { systemProxy });
  await daemon.stop(0, "SIGTERM");
  expect(calls).toEqual([`enable ${sb.ports.edge}`, "reset"]);
  expect(events(log, "daemon.proxy.enabled")).toHaveLength(1);
  expect(events(log, "daemon.proxy.disabled")).toEqual([expect.objectContaining({ signal: "SIGTERM", done: ["Wi-Fi"] })]);
});

test("the store's upkeep runs on its timer: limit samples older than a week are thinned to one an hour per window", async () => {
  const { paths } = home();
  // On the hour: the twelve samples, a minute apart, fall in one clock hour.
  const old = Math.floor((Date.now() - 30 * 24 * 3_600_000) / 3_600_000) * 3_600_000;
  const seed = openStore(paths.db);
  insertRows(seed, Array.from({ length: 12 }, (_, i) =>
    makeRow(i, { startedAt: old + i * 60_000, limits: [{ provider: "anthropic", window: "5h", kind: "subscription", utilization: i / 12, limit: null, remaining: null, resetsAt: old + 3_600_000 * 4, windowMinutes: null, status: "allowed", observedAt: old + i * 60_000 }] }),
  ));
  seed.close();
  const { daemon } = start(paths, { maintainEveryMs: 20 });
  const count = () => {
    const db = new Database(paths.db, { readonly: true });
    try {
      return (db.query("SELECT COUNT(*) AS n FROM limit_samples").get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  expect(count()).toBe(12);
  await waitFor(() => count() === 1, "the samples to be thinned");
  await daemon.stop(0);
});

