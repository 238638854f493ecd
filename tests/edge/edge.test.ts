// The edge in-process (./_in-process.ts): raw tunnels around a daemon that is down (invariant 2),
// and how long its verdict on the daemon's health lives (invariant 3).

import { describe, expect, test } from "bun:test";
import { connectThrough, echoesThrough, exchange } from "../harness/client.ts";
import { echoServer } from "../harness/raw.ts";
import { inProcessEdge } from "./_in-process.ts";

const bench = inProcessEdge();

describe("passthrough (invariant 2)", () => {
  test("daemon down: 200 Connection Established, then bytes both ways", async () => {
    const { ports, log } = bench.setup();
    await echoesThrough(ports.edge, bench.target);
    expect(log.lines.some((l) => l.event === "edge.passthrough" && l.reason === "daemon-unhealthy")).toBe(true);
    expect(log.lines.some((l) => l.event === "edge.chained")).toBe(false);
  });

  test("a server that speaks first (banner) is relayed", async () => {
    const banner = echoServer("SSH-2.0-test\r\n");
    try {
      const { ports } = bench.setup();
      const c = await connectThrough(ports.edge, `127.0.0.1:${banner.port}`);
      await c.untilText("SSH-2.0-test");
      c.close();
    } finally {
      banner.stop();
    }
  });

  test("bytes pipelined right after the CONNECT head reach the target", async () => {
    const { ports } = bench.setup();
    const got = await exchange(ports.edge, `CONNECT ${bench.target} HTTP/1.1\r\n\r\nearly-bytes`, { until: (b) => b.includes("early-bytes") });
    expect(got.bytes.toString()).toBe("HTTP/1.1 200 Connection Established\r\n\r\nearly-bytes");
  });

  test("half-close is propagated: the target's answer after our FIN still arrives", async () => {
    const { ports } = bench.setup();
    const got = await exchange(ports.edge, `CONNECT ${bench.target} HTTP/1.1\r\n\r\nbye`, { halfClose: true });
    expect(got.bytes.toString()).toEndWith("bye");
    // The target answered our FIN with its own, and the edge passed that on too.
    expect(got.closed).toBe(true);
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
      const { ports } = bench.setup();
      const got = (await exchange(ports.edge, `GET http://127.0.0.1:${server.port}/a/b?c=1 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Custom: kept\r\nProxy-Connection: keep-alive\r\n\r\n`)).bytes.toString();
      expect(got).toStartWith("HTTP/1.1 200");
      expect(got).toEndWith("hello");
      expect(seen).toEqual(["GET /a/b?c=1 kept null"]);
    } finally {
      server.stop(true);
    }
  });
});

describe("health cache (invariant 3)", () => {
  test("healthy verdicts live edge_health_ttl_ms, unhealthy ones 200 ms", async () => {
    let t = 1_000_000;
    const { ports } = bench.setup({ now: () => t, healthyTtlMs: 1000 });
    const daemon = bench.daemon(ports);
    const target = bench.target;
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
