import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { defaultConfig } from "../../core/config/load.ts";
import { memoryLog } from "../../core/log/jsonl.ts";
import { type Connector, type Edge, startEdge } from "../../core/edge/server.ts";
import { connectThrough, echoesThrough, TestClient } from "../harness/client.ts";
import { FakeDaemon } from "../harness/fake-daemon.ts";
import { type EchoServer, echoServer, rawExchange } from "../harness/raw.ts";
import { freePort, waitFor } from "../harness/sandbox.ts";

// The edge in-process against a fake daemon. "127.0.0.1" plays the metered provider host so
// that chained and raw paths both stay on loopback.

let echo: EchoServer;
let edge: Edge | undefined;
let daemon: FakeDaemon | undefined;

beforeAll(() => {
  echo = echoServer();
});
afterAll(() => echo.stop());
afterEach(async () => {
  await edge?.stop(0);
  daemon?.stop();
  edge = undefined;
  daemon = undefined;
});

function setup(over: Partial<Parameters<typeof startEdge>[0]> = {}) {
  const ports = { edge: freePort(), internal: freePort(), api: freePort() };
  const log = memoryLog();
  edge = startEdge({
    ports,
    intercepted: new Set(["127.0.0.1"]),
    healthyTtlMs: 1000,
    probeTimeoutMs: 50,
    headTimeoutMs: 5000,
    connectTimeoutMs: 2000,
    chainTimeoutMs: defaultConfig().edge.chain_timeout_ms,
    maxConnections: 1000,
    log,
    ...over,
  });
  return { ports, log, edge };
}

describe("passthrough (invariant 2)", () => {
  test("daemon down: 200 Connection Established, then bytes both ways", async () => {
    const { ports, log } = setup();
    await echoesThrough(ports.edge, `127.0.0.1:${echo.port}`);
    expect(log.lines.some((l) => l.event === "edge.passthrough" && l.reason === "daemon-unhealthy")).toBe(true);
    expect(log.lines.some((l) => l.event === "edge.chained")).toBe(false);
  });

  test("a server that speaks first (banner) is relayed", async () => {
    const banner = echoServer("SSH-2.0-test\r\n");
    try {
      const { ports } = setup();
      const c = await connectThrough(ports.edge, `127.0.0.1:${banner.port}`);
      await c.untilText("SSH-2.0-test");
      c.close();
    } finally {
      banner.stop();
    }
  });

  test("bytes pipelined right after the CONNECT head reach the target", async () => {
    const { ports } = setup();
    const got = await rawExchange(ports.edge, `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\nearly-bytes`, { timeoutMs: 500 });
    expect(got.toString()).toBe("HTTP/1.1 200 Connection Established\r\n\r\nearly-bytes");
  });

  test("half-close is propagated: the target's answer after our FIN still arrives", async () => {
    const { ports } = setup();
    const got = await rawExchange(ports.edge, `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\nbye`, { halfClose: true });
    expect(got.toString()).toEndWith("bye");
  });

  test("plain-HTTP absolute-form requests are forwarded in origin form with Connection: close", async () => {
    const seen: string[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        seen.push(`${req.method} ${new URL(req.url).pathname}${new URL(req.url).search} ${req.headers.get("x-custom")} ${req.headers.get("proxy-connection")}`);
        return new Response("hello");
      },
    });
    try {
      const { ports } = setup();
      const got = await rawExchange(ports.edge, `GET http://127.0.0.1:${server.port}/a/b?c=1 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Custom: kept\r\nProxy-Connection: keep-alive\r\n\r\n`);
      expect(got.toString()).toStartWith("HTTP/1.1 200");
      expect(got.toString()).toEndWith("hello");
      expect(seen).toEqual(["GET /a/b?c=1 kept null"]);
    } finally {
      server.stop(true);
    }
  });
});

describe("chaining (invariants 1 and 3)", () => {
  test("healthy daemon: metered hosts are chained with a PROXY line naming the client", async () => {
    const { ports, log } = setup();
    daemon = new FakeDaemon(ports.api, ports.internal).start();
    const c = await connectThrough(ports.edge, `127.0.0.1:${echo.port}`);
    c.write("via-daemon");
    await c.untilText("via-daemon");
    expect(daemon.chained).toHaveLength(1);
    expect(daemon.chained[0]!.target).toBe(`127.0.0.1:${echo.port}`);
    const localPort = c.socket.localPort;
    expect(daemon.chained[0]!.proxyLine).toBe(`PROXY TCP4 127.0.0.1 127.0.0.1 ${localPort} ${ports.edge}\r\n`);
    expect(log.lines.some((l) => l.event === "edge.chained")).toBe(true);
    c.close();
  });

  test("hosts the daemon does not meter are tunnelled directly even when it is healthy", async () => {
    const { ports } = setup({ intercepted: new Set(["api.anthropic.com"]) });
    daemon = new FakeDaemon(ports.api, ports.internal).start();
    await echoesThrough(ports.edge, `127.0.0.1:${echo.port}`);
    expect(daemon.chained).toHaveLength(0);
  });

  test("daemon killed between two requests: the second still succeeds", async () => {
    const { ports } = setup();
    daemon = new FakeDaemon(ports.api, ports.internal).start();
    await echoesThrough(ports.edge, `127.0.0.1:${echo.port}`, "first");
    expect(daemon.chained).toHaveLength(1);
    daemon.stop();
    await echoesThrough(ports.edge, `127.0.0.1:${echo.port}`, "second");
    expect(daemon.chained).toHaveLength(1);
  });

  test("/health healthy but the internal port refusing: the same request passes through", async () => {
    const { ports, log, edge: e } = setup();
    daemon = new FakeDaemon(ports.api, ports.internal).start();
    daemon.stopInternal();
    await echoesThrough(ports.edge, `127.0.0.1:${echo.port}`, "same-request");
    expect(log.lines.some((l) => l.event === "edge.passthrough" && l.reason === "daemon-refused")).toBe(true);
    expect(e.health.health).toBe("unhealthy");
  });

  // A daemon stopped with SIGSTOP or a blocked loop still completes TCP handshakes (the kernel's
  // backlog) and its /health was healthy a moment ago: only its silence gives it away.
  test("a daemon that accepts but never answers is passed by: the same request goes through raw, every held byte replayed", async () => {
    const { ports, log, edge: e } = setup();
    daemon = new FakeDaemon(ports.api, ports.internal).start();
    await echoesThrough(ports.edge, `127.0.0.1:${echo.port}`, "warm");
    expect(e.health.health).toBe("healthy");
    daemon.internalMode = "silent";
    const started = performance.now();
    const c = await TestClient.connect(ports.edge);
    c.write(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\nsent-with-the-head`);
    await c.untilText("HTTP/1.1 200 Connection Established\r\n\r\nsent-with-the-head");
    c.write("+after");
    await c.untilText("sent-with-the-head+after");
    const ms = performance.now() - started;
    c.close();
    expect(daemon.chained).toHaveLength(2);
    expect(log.lines.some((l) => l.event === "edge.passthrough" && l.reason === "daemon-silent")).toBe(true);
    expect(e.health.health).toBe("unhealthy");
    // The fault costs the chain deadline (150 ms by default), not the 10 s connect timeout.
    expect(ms).toBeLessThan(defaultConfig().edge.chain_timeout_ms + 250);
  });

  test("a burst sent right after the daemon goes silent: every request passes by within the deadline", async () => {
    const { ports } = setup();
    daemon = new FakeDaemon(ports.api, ports.internal).start();
    await echoesThrough(ports.edge, `127.0.0.1:${echo.port}`, "warm");
    daemon.internalMode = "silent";
    const timed = async (i: number) => {
      const t = performance.now();
      await echoesThrough(ports.edge, `127.0.0.1:${echo.port}`, `burst-${i}`);
      return performance.now() - t;
    };
    const times = await Promise.all([0, 1, 2, 3, 4].map(timed));
    for (const ms of times) expect(ms).toBeLessThan(defaultConfig().edge.chain_timeout_ms + 250);
    // Once one chain went unanswered the cache says "unhealthy": later requests do not try the daemon.
    const after = daemon.chained.length;
    await echoesThrough(ports.edge, `127.0.0.1:${echo.port}`, "later");
    expect(daemon.chained.length).toBe(after);
  });

  for (const mode of ["hang", "garbage", "500", "reset"] as const) {
    test(`a daemon whose /health answers "${mode}" is treated as down, and the request goes through`, async () => {
      const { ports } = setup();
      daemon = new FakeDaemon(ports.api, ports.internal).start();
      daemon.healthMode = mode;
      await echoesThrough(ports.edge, `127.0.0.1:${echo.port}`);
      expect(daemon.chained).toHaveLength(0);
      expect(daemon.healthProbes).toBe(1);
    });
  }

  test("200 concurrent tunnels stay byte-exact while the daemon flaps", async () => {
    const { ports, log: logRef } = setup({ healthyTtlMs: 50 });
    daemon = new FakeDaemon(ports.api, ports.internal).start();
    const d = daemon;
    await echoesThrough(ports.edge, `127.0.0.1:${echo.port}`, "warm");
    expect(d.chained).toHaveLength(1);
    let flapping = true;
    const flapper = (async () => {
      let up = true;
      while (flapping) {
        await Bun.sleep(15);
        if (up) d.pause();
        else d.start();
        up = !up;
      }
      if (!up) d.start();
    })();
    const payload = (i: number) => Buffer.alloc(64 * 1024, i % 251);
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        await Bun.sleep((i % 100) * 3);
        try {
          const c = await connectThrough(ports.edge, `127.0.0.1:${echo.port}`);
          c.write(payload(i));
          await c.until((b) => b.length >= 64 * 1024, 20_000);
          c.close();
          return c.buf.equals(payload(i));
        } catch (err) {
          console.log(`tunnel ${i}: ${(err as Error).message}`);
          return false;
        }
      }),
    );
    flapping = false;
    await flapper;
    expect(results.filter(Boolean)).toHaveLength(200);
    // Both paths were exercised: some tunnels went through the daemon, some around it.
    expect(d.chained.length).toBeGreaterThan(1);
    expect(logRef.lines.some((l) => l.event === "edge.passthrough")).toBe(true);
  });
});

describe("health cache (invariant 3)", () => {
  test("healthy verdicts live edge_health_ttl_ms, unhealthy ones 200 ms", async () => {
    let t = 1_000_000;
    const { ports } = setup({ now: () => t, healthyTtlMs: 1000 });
    daemon = new FakeDaemon(ports.api, ports.internal).start();
    const target = `127.0.0.1:${echo.port}`;
    await echoesThrough(ports.edge, target);
    expect(daemon.healthProbes).toBe(1);
    t += 999;
    await echoesThrough(ports.edge, target);
    expect(daemon.healthProbes).toBe(1);
    t += 1;
    await echoesThrough(ports.edge, target);
    expect(daemon.healthProbes).toBe(2);
    daemon.healthMode = "500";
    t += 1000;
    await echoesThrough(ports.edge, target);
    expect(daemon.healthProbes).toBe(3);
    t += 199;
    await echoesThrough(ports.edge, target);
    expect(daemon.healthProbes).toBe(3);
    t += 1;
    await echoesThrough(ports.edge, target);
    expect(daemon.healthProbes).toBe(4);
    expect(daemon.chained).toHaveLength(3);
  });
});

describe("bad input gets a clear answer", () => {
  const answer = async (port: number, payload: string | Uint8Array) => (await rawExchange(port, payload)).toString("latin1");

  test("an oversized head is 431", async () => {
    const { ports } = setup();
    const got = await answer(ports.edge, `CONNECT 127.0.0.1:1 HTTP/1.1\r\nX-Big: ${"a".repeat(70 * 1024)}\r\n\r\n`);
    expect(got).toStartWith("HTTP/1.1 431 ");
  });

  test("a head that never ends and passes 64 KiB is 431", async () => {
    const { ports } = setup();
    expect(await answer(ports.edge, `CONNECT 127.0.0.1:1 HTTP/1.1\r\nX: ${"b".repeat(65 * 1024)}`)).toStartWith("HTTP/1.1 431 ");
  });

  for (const [name, head] of [
    ["malformed request line", "GARBAGE\r\n\r\n"],
    ["binary junk", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"],
    ["port 0", "CONNECT example.com:0 HTTP/1.1\r\n\r\n"],
    ["port out of range", "CONNECT example.com:99999 HTTP/1.1\r\n\r\n"],
    ["port not a number", "CONNECT example.com:https HTTP/1.1\r\n\r\n"],
    ["missing port", "CONNECT example.com HTTP/1.1\r\n\r\n"],
    ["bad host", "CONNECT exa$mple.com:443 HTTP/1.1\r\n\r\n"],
    ["origin-form to the proxy", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["https URL without CONNECT", "GET https://example.com/ HTTP/1.1\r\n\r\n"],
    ["bad header", "CONNECT a.com:443 HTTP/1.1\r\nno colon here\r\n\r\n"],
  ] as const) {
    test(`${name} is 400`, async () => {
      const { ports } = setup();
      const got = await answer(ports.edge, head);
      expect(got).toStartWith("HTTP/1.1 400 ");
      expect(got).toContain("X-Halton-Meter: edge");
    });
  }

  test("a refused target is 502 with the reason", async () => {
    const { ports, log } = setup();
    const closed = freePort();
    const got = await answer(ports.edge, `CONNECT 127.0.0.1:${closed} HTTP/1.1\r\n\r\n`);
    expect(got).toStartWith("HTTP/1.1 502 ");
    expect(got).toContain(`connection refused by 127.0.0.1:${closed}`);
    expect(log.lines.some((l) => l.event === "edge.error" && l.kind === "refused")).toBe(true);
  });

  test("an unresolvable host is 502 (resolver answer injected: tests stay on loopback)", async () => {
    const connect: Connector = () => Promise.reject(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }));
    const { ports, log } = setup({ connect });
    const got = await answer(ports.edge, "CONNECT no-such-host.invalid:443 HTTP/1.1\r\n\r\n");
    expect(got).toStartWith("HTTP/1.1 502 ");
    expect(got).toContain("cannot resolve host no-such-host.invalid:443");
    expect(log.lines.some((l) => l.event === "edge.error" && l.kind === "dns")).toBe(true);
  });

  test("a target that never answers times out with 502", async () => {
    const connect: Connector = () => new Promise(() => {});
    const { ports } = setup({ connect, connectTimeoutMs: 100 });
    const got = await answer(ports.edge, "CONNECT 127.0.0.1:9 HTTP/1.1\r\n\r\n");
    expect(got).toStartWith("HTTP/1.1 502 ");
    expect(got).toContain("timed out connecting to 127.0.0.1:9");
  });

  test("a slow client that never finishes its head is dropped with 408", async () => {
    const { ports } = setup({ headTimeoutMs: 150 });
    const c = await TestClient.connect(ports.edge);
    c.write("CONNECT 127.0.0.1:1 HTTP/1.1\r\n");
    const got = await c.untilClosed();
    expect(got.toString()).toStartWith("HTTP/1.1 408 ");
  });

  test("requests aimed at our own ports are refused as loops", async () => {
    const { ports } = setup();
    for (const p of [ports.edge, ports.internal, ports.api]) {
      for (const host of ["127.0.0.1", "localhost", "[::1]"]) {
        const got = await answer(ports.edge, `CONNECT ${host}:${p} HTTP/1.1\r\n\r\n`);
        expect(got).toStartWith("HTTP/1.1 403 ");
      }
      expect(await answer(ports.edge, `GET http://localhost:${p}/health HTTP/1.1\r\n\r\n`)).toStartWith("HTTP/1.1 403 ");
    }
  });

  test("beyond the connection cap the answer is 503, and others are unharmed", async () => {
    const { ports, edge: e } = setup({ maxConnections: 2 });
    const a = await connectThrough(ports.edge, `127.0.0.1:${echo.port}`);
    const b = await TestClient.connect(ports.edge);
    await waitFor(() => e.active === 2, "the edge to hold both connections");
    const got = await answer(ports.edge, `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\n`);
    expect(got).toStartWith("HTTP/1.1 503 ");
    a.write("still-fine");
    await a.untilText("still-fine");
    a.close();
    b.close();
  });
});
