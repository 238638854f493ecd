// The edge in-process (./_in-process.ts) chaining metered hosts to a fake daemon, and passing it
// by whenever it is down, refusing, silent or flapping (invariants 1 and 3).

import { describe, expect, test } from "bun:test";
import { defaultConfig } from "../../core/config/load.ts";
import { connectThrough, echoesThrough, TestClient } from "../harness/client.ts";
import { inProcessEdge } from "./_in-process.ts";

const bench = inProcessEdge();

describe("chaining (invariants 1 and 3)", () => {
  test("healthy daemon: metered hosts are chained with a PROXY line naming the client", async () => {
    const { ports, log } = bench.setup();
    const daemon = bench.daemon(ports);
    const c = await connectThrough(ports.edge, bench.target);
    c.write("via-daemon");
    await c.untilText("via-daemon");
    expect(daemon.chained).toHaveLength(1);
    expect(daemon.chained[0]!.target).toBe(bench.target);
    const localPort = c.socket.localPort;
    expect(daemon.chained[0]!.proxyLine).toBe(`PROXY TCP4 127.0.0.1 127.0.0.1 ${localPort} ${ports.edge}\r\n`);
    expect(log.lines.some((l) => l.event === "edge.chained")).toBe(true);
    c.close();
  });

  test("hosts the daemon does not meter are tunnelled directly even when it is healthy", async () => {
    const { ports } = bench.setup({ intercepted: new Set(["api.anthropic.com"]) });
    const daemon = bench.daemon(ports);
    await echoesThrough(ports.edge, bench.target);
    expect(daemon.chained).toHaveLength(0);
  });

  test("daemon killed between two requests: the second still succeeds", async () => {
    const { ports } = bench.setup();
    const daemon = bench.daemon(ports);
    await echoesThrough(ports.edge, bench.target, "first");
    expect(daemon.chained).toHaveLength(1);
    daemon.stop();
    await echoesThrough(ports.edge, bench.target, "second");
    expect(daemon.chained).toHaveLength(1);
  });

  test("/health healthy but the internal port refusing: the same request passes through", async () => {
    const { ports, log, edge: e } = bench.setup();
    const daemon = bench.daemon(ports);
    daemon.stopInternal();
    await echoesThrough(ports.edge, bench.target, "same-request");
    expect(log.lines.some((l) => l.event === "edge.passthrough" && l.reason === "daemon-refused")).toBe(true);
    expect(e.health.health).toBe("unhealthy");
  });

  // A daemon stopped with SIGSTOP or a blocked loop still completes TCP handshakes (the kernel's
  // backlog) and its /health was healthy a moment ago: only its silence gives it away.
  test("a daemon that accepts but never answers is passed by: the same request goes through raw, every held byte replayed", async () => {
    const { ports, log, edge: e } = bench.setup();
    const daemon = bench.daemon(ports);
    await echoesThrough(ports.edge, bench.target, "warm");
    expect(e.health.health).toBe("healthy");
    daemon.internalMode = "silent";
    const started = performance.now();
    const c = await TestClient.connect(ports.edge);
    c.write(`CONNECT ${bench.target} HTTP/1.1\r\n\r\nsent-with-the-head`);
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
    const { ports } = bench.setup();
    const daemon = bench.daemon(ports);
    await echoesThrough(ports.edge, bench.target, "warm");
    daemon.internalMode = "silent";
    const timed = async (i: number) => {
      const t = performance.now();
      await echoesThrough(ports.edge, bench.target, `burst-${i}`);
      return performance.now() - t;
    };
    const times = await Promise.all([0, 1, 2, 3, 4].map(timed));
    for (const ms of times) expect(ms).toBeLessThan(defaultConfig().edge.chain_timeout_ms + 250);
    // Once one chain went unanswered the cache says "unhealthy": later requests do not try the daemon.
    const after = daemon.chained.length;
    await echoesThrough(ports.edge, bench.target, "later");
    expect(daemon.chained.length).toBe(after);
  });

  for (const mode of ["hang", "garbage", "500", "reset"] as const) {
    test(`a daemon whose /health answers "${mode}" is treated as down, and the request goes through`, async () => {
      const { ports } = bench.setup();
      const daemon = bench.daemon(ports);
      daemon.healthMode = mode;
      await echoesThrough(ports.edge, bench.target);
      expect(daemon.chained).toHaveLength(0);
      expect(daemon.healthProbes).toBe(1);
    });
  }

  test("200 concurrent tunnels stay byte-exact while the daemon flaps", async () => {
    const { ports, log: logRef } = bench.setup({ healthyTtlMs: 50 });
    const d = bench.daemon(ports);
    await echoesThrough(ports.edge, bench.target, "warm");
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
          const c = await connectThrough(ports.edge, bench.target);
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
