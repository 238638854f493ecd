import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { readEffectivePorts, writeEffectivePorts } from "../../core/ports/index.ts";
import { connectThrough, type TestClient } from "../harness/client.ts";
import { EDGE_SOURCE, type EdgeProcess, type LogLine, startEdgeProcess } from "../harness/edge-process.ts";
import { FakeDaemon } from "../harness/fake-daemon.ts";
import { type EchoServer, echoServer } from "../harness/raw.ts";
import { collect, slowRead } from "./_slow-reader.ts";
import { BUN, canConnect, freePort, makeSandbox, portsToml, type Sandbox, waitFor } from "../harness/sandbox.ts";

// The edge as a real process (`bun cmd/edge.ts`) in a throwaway HOME: signals, port reloads,
// a quarter-gigabyte through a slow reader, and the daemon going away under it.

// These tests start real processes: bunfig.toml's [test] timeout is not applied by Bun 1.4.4,
// so the default 5 s would be tight on a loaded 2-core machine.
setDefaultTimeout(30_000);

let echo: EchoServer;
let sb: Sandbox | undefined;
const clients: TestClient[] = [];

beforeAll(() => {
  echo = echoServer();
});
afterAll(() => echo.stop());
afterEach(async () => {
  for (const c of clients.splice(0)) if (!c.closed) c.socket.terminate();
  await sb?.cleanup();
  sb = undefined;
});

function sandbox(): Sandbox {
  sb = makeSandbox("hm-edge-proc-");
  return sb;
}

async function tunnel(port: number, target = `127.0.0.1:${echo.port}`): Promise<TestClient> {
  const c = await connectThrough(port, target);
  clients.push(c);
  return c;
}

/** Writes `text` into the tunnel and waits for the echo of it. */
async function echoes(c: TestClient, text: string): Promise<void> {
  const before = c.buf.length;
  c.write(text);
  await c.until((b) => b.length >= before + text.length);
  expect(c.buf.subarray(before).toString()).toBe(text);
}

const exited = (edge: EdgeProcess) => edge.proc.exitCode !== null || edge.proc.signalCode !== null;

describe("SIGTERM", () => {
  test("stops accepting, keeps an open tunnel relaying until the client closes it, then exits 0", async () => {
    const s = sandbox();
    s.writeConfig(`${portsToml(s.ports)}[edge]\nshutdown_grace_ms = 60000\n`);
    const edge = await startEdgeProcess(s);
    const c = await tunnel(edge.port);
    await echoes(c, "before-sigterm");

    process.kill(edge.pid, "SIGTERM");
    await edge.waitEvent("edge.stopping");
    expect(edge.events("edge.stopping")[0]!.open_connections).toBe(1);
    await waitFor(async () => !(await canConnect(edge.port)), "the edge port to stop accepting");

    // The tunnel opened before the signal still carries bytes both ways.
    await echoes(c, "after-sigterm");
    await echoes(c, "x".repeat(256 * 1024));
    expect(exited(edge)).toBe(false);

    c.close();
    expect(await edge.proc.exited).toBe(0);
    expect(edge.events("edge.exit")).toEqual([expect.objectContaining({ signal: "SIGTERM" })]);
  });

  test("with a short grace an idle tunnel is closed and the process exits 0", async () => {
    const s = sandbox();
    s.writeConfig(`${portsToml(s.ports)}[edge]\nshutdown_grace_ms = 300\n`);
    const edge = await startEdgeProcess(s);
    const c = await tunnel(edge.port);
    await echoes(c, "idle-after-this");
    process.kill(edge.pid, "SIGTERM");
    await c.untilClosed(15_000);
    expect(await edge.proc.exited).toBe(0);
    expect(edge.events("edge.exit")).toHaveLength(1);
  });

  test("with no open connection, SIGTERM and SIGINT each end the process with exit 0", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const s = sandbox();
      s.writeConfig(`${portsToml(s.ports)}[edge]\nshutdown_grace_ms = 60000\n`);
      const edge = await startEdgeProcess(s);
      process.kill(edge.pid, signal);
      expect(await edge.proc.exited).toBe(0);
      expect(edge.events("edge.exit")).toEqual([expect.objectContaining({ signal })]);
      await s.cleanup();
      sb = undefined;
    }
  });
});

describe("new ports while running", () => {
  /** No pins in config: the edge takes its ports from effective-ports.json. */
  function unpinned(s: Sandbox, file = join(s.meterHome, "effective-ports.json")) {
    writeEffectivePorts(file, s.ports);
  }

  // The edge leaves its port only for a pinned edge_port that effective-ports.json records too
  // (tests/edge/port-stability.test.ts): that is the change these tests make.
  test("SIGHUP after a new pinned port is recorded: the new port accepts, the old tunnel still relays", async () => {
    const s = sandbox();
    // The file is a symlink into another folder, so rewriting its target is invisible to the
    // edge's folder watcher: only the SIGHUP can make it notice.
    const elsewhere = join(s.root, "elsewhere");
    mkdirSync(elsewhere);
    const target = join(elsewhere, "ports.json");
    unpinned(s, target);
    symlinkSync(target, join(s.meterHome, "effective-ports.json"));
    const edge = await startEdgeProcess(s);
    expect(edge.port).toBe(s.ports.edge);
    const old = await tunnel(edge.port);
    await echoes(old, "opened-before");

    const next = freePort();
    s.writeConfig(`[daemon]\nedge_port = ${next}\n`);
    writeEffectivePorts(target, { ...s.ports, edge: next });
    process.kill(edge.pid, "SIGHUP");
    const reloaded = await edge.waitEvent("edge.ports.reloaded");
    expect(reloaded).toMatchObject({ trigger: "sighup", edge: next, listening: next });

    const fresh = await tunnel(next);
    await echoes(fresh, "via-new-port");
    await echoes(old, "old-tunnel-still-relays");
    expect(await canConnect(s.ports.edge)).toBe(false);
  });

  test("no signal is needed: the edge polls effective-ports.json", async () => {
    const s = sandbox();
    unpinned(s);
    const edge = await startEdgeProcess(s);
    const old = await tunnel(edge.port);
    await echoes(old, "opened-before");

    const next = freePort();
    s.writeConfig(`[daemon]\nedge_port = ${next}\n`);
    writeEffectivePorts(join(s.meterHome, "effective-ports.json"), { ...s.ports, edge: next });
    expect(await edge.waitEvent("edge.ports.reloaded")).toMatchObject({ trigger: "file", edge: next, listening: next });

    await echoes(await tunnel(next), "via-new-port");
    await echoes(old, "old-tunnel-still-relays");
    expect(await canConnect(s.ports.edge)).toBe(false);
  });

  test("a new port that is taken keeps the old one listening and says why", async () => {
    const s = sandbox();
    unpinned(s);
    const edge = await startEdgeProcess(s);
    const blocker = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      s.writeConfig(`[daemon]\nedge_port = ${blocker.port}\n`);
      writeEffectivePorts(join(s.meterHome, "effective-ports.json"), { ...s.ports, edge: blocker.port });
      const err = await edge.waitEvent("edge.error", (l) => l.kind === "rebind");
      expect(err.port).toBe(blocker.port);
      await echoes(await tunnel(s.ports.edge), "old-port-still-serves");
    } finally {
      blocker.stop(true);
    }
  });
});

describe("bounded memory under backpressure", () => {
  test("256 MiB to a slow reader: byte-exact, and the edge's RSS stays bounded", async () => {
    const s = sandbox();
    s.writeConfig(portsToml(s.ports));
    const TOTAL = 256 * 1024 * 1024;
    const server = s.spawn([BUN, join(import.meta.dir, "_blast-server.ts"), String(TOTAL)]);
    const serverOut = collect(server);
    const serverPort = Number((await waitFor(() => /PORT (\d+)/.exec(serverOut.text), "the blast server"))[1]);
    const edge = await startEdgeProcess(s);
    const idleRss = edge.rss()!;

    let maxRss = idleRss;
    const sampler = setInterval(() => {
      const r = edge.rss();
      if (r !== null && r > maxRss) maxRss = r;
    }, 20);
    const t0 = performance.now();
    let received: { bytes: number; sha: string; pauses: number };
    try {
      received = await slowRead(edge.port, `127.0.0.1:${serverPort}`, TOTAL);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - t0) / 1000;
    const sent = await waitFor(() => /SENT (\d+) ([0-9a-f]{64})/.exec(serverOut.text), "the server's digest");
    console.log(
      `256 MiB through the edge to a slow reader: ${(TOTAL / 1e6 / seconds).toFixed(0)} MB/s over ${seconds.toFixed(1)} s, ${received.pauses} reader pauses; ` +
        `edge VmRSS idle ${(idleRss / 1e6).toFixed(1)} MB, max ${(maxRss / 1e6).toFixed(1)} MB`,
    );
    expect(received.bytes).toBe(TOTAL);
    expect(Number(sent[1])).toBe(TOTAL);
    expect(received.sha).toBe(sent[2]!);
    expect(maxRss).toBeLessThan(200 * 1024 * 1024);
  }, 180_000);
});

describe("the daemon goes away (invariants 1 and 4)", () => {
  test("chained while the daemon is up; after it stops the edge port stays bound and the next CONNECT succeeds", async () => {
    const s = sandbox();
    // 127.0.0.1 plays a metered provider host, so a healthy daemon gets the CONNECT chained.
    s.writeConfig(`${portsToml(s.ports)}[capture]\nextra_hosts = ["127.0.0.1"]\n`);
    // The daemon starts first and records the ports it chose, as the real one does.
    writeEffectivePorts(join(s.meterHome, "effective-ports.json"), s.ports);
    const daemon = new FakeDaemon(s.ports.api, s.ports.internal).start();
    try {
      const edge = await startEdgeProcess(s);
      for (const word of ["first", "second"]) {
        const c = await tunnel(edge.port);
        await echoes(c, word);
        c.close();
      }
      expect(daemon.chained.length).toBeGreaterThanOrEqual(1);
      expect(daemon.chained[0]!.target).toBe(`127.0.0.1:${echo.port}`);
      expect(daemon.chained[0]!.proxyLine).toMatch(new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 \\d+ ${edge.port}\\r\\n$`));
      const chainedBefore = daemon.chained.length;

      daemon.stop();
      expect(await canConnect(edge.port)).toBe(true);
      for (const word of ["after-stop-1", "after-stop-2"]) {
        const c = await tunnel(edge.port);
        await echoes(c, word);
        c.close();
      }
      expect(daemon.chained.length).toBe(chainedBefore);
      expect(edge.events("edge.passthrough").length).toBeGreaterThanOrEqual(1);
      expect(exited(edge)).toBe(false);

      // The daemon comes back: once the unhealthy verdict expires, requests are chained again.
      daemon.start();
      await waitFor(async () => {
        const c = await tunnel(edge.port);
        await echoes(c, "again");
        c.close();
        return daemon.chained.length > chainedBefore;
      }, "a request chained to the restarted daemon");
    } finally {
      daemon.stop();
    }
  });
});

// Known defect, kept failing until fixed (see the report): cmd/edge.ts logs edge.startup.ready
// before it installs its SIGTERM/SIGINT handlers and its folder watcher, so a supervisor that acts
// on the ready line can kill it with the default signal action, and a ports change written in
// that gap is never seen. Each attempt hits the gap most of the time; three attempts make a pass
// by luck unlikely, and once ready is logged last every attempt passes.
describe("start-up order: ready means ready", () => {
  test("a SIGTERM sent the moment edge.startup.ready appears is a graceful stop (exit 0)", async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const s = sandbox();
      s.writeConfig(portsToml(s.ports));
      const edge = await startEdgeProcess(s, EDGE_SOURCE, { settle: false });
      process.kill(edge.pid, "SIGTERM");
      expect({ attempt, code: await edge.proc.exited, signal: edge.proc.signalCode }).toEqual({ attempt, code: 0, signal: null });
      await s.cleanup();
      sb = undefined;
    }
  });

  test("effective-ports.json rewritten the moment edge.startup.ready appears is picked up (the daemon's new port)", async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const s = sandbox();
      const file = join(s.meterHome, "effective-ports.json");
      writeEffectivePorts(file, s.ports);
      const edge = await startEdgeProcess(s, EDGE_SOURCE, { settle: false });
      const next = freePort();
      writeEffectivePorts(file, { ...s.ports, internal: next });
      const seen = await edge.waitEvent("edge.ports.reloaded", () => true, 3000).then(
        (l) => l.internal,
        (err: Error) => err.message,
      );
      expect({ attempt, seen }).toEqual({ attempt, seen: next });
      await s.cleanup();
      sb = undefined;
    }
  });
});

// Known defect, kept failing until fixed (see the report): when effective-ports.json is missing
// or does not honour the pins, the edge runs the full allocation with an empty heldByUs, so the
// internal and api ports its own daemon listens on count as "taken by another process": pinned,
// the edge refuses to start; unpinned, it records other ports and loses sight of the daemon.
describe("the edge starts while the daemon holds its ports", () => {
  async function readyOrExit(edge: EdgeProcess): Promise<LogLine> {
    const outcome = await waitFor(() => edge.events("edge.startup.ready")[0] ?? (exited(edge) ? "exited" : null), "the edge to start or exit");
    if (outcome === "exited") expect((await edge.output()).stderr).toBe("");
    return outcome as LogLine;
  }

  test("pinned ports, daemon already listening, no effective-ports.json: the edge still starts", async () => {
    const s = sandbox();
    s.writeConfig(portsToml(s.ports));
    const daemon = new FakeDaemon(s.ports.api, s.ports.internal).start();
    try {
      const ready = await readyOrExit(await startEdgeProcess(s, EDGE_SOURCE, { waitReady: false }));
      expect(ready).toMatchObject({ port: s.ports.edge, daemon_port: s.ports.internal, api_port: s.ports.api });
    } finally {
      daemon.stop();
    }
  });

  test("a newly pinned edge port does not move the daemon's recorded ports", async () => {
    const s = sandbox();
    const file = join(s.meterHome, "effective-ports.json");
    writeEffectivePorts(file, s.ports);
    const newEdge = freePort();
    s.writeConfig(`[daemon]\nedge_port = ${newEdge}\n`);
    const daemon = new FakeDaemon(s.ports.api, s.ports.internal).start();
    try {
      const ready = await readyOrExit(await startEdgeProcess(s, EDGE_SOURCE, { waitReady: false }));
      expect(ready).toMatchObject({ port: newEdge, daemon_port: s.ports.internal, api_port: s.ports.api });
      expect(readEffectivePorts(file)).toMatchObject({ ok: true, ports: { edge: newEdge, internal: s.ports.internal, api: s.ports.api } });
    } finally {
      daemon.stop();
    }
  });
});
