// The edge in-process (./_in-process.ts) against bad input: each gets a clear answer (a status and
// the reason), and no other connection is harmed.

import { describe, expect, test } from "bun:test";
import type { Connector } from "../../core/proxy/connect.ts";
import { Dialer } from "../../core/proxy/dialer.ts";
import { connectThrough, echoesThrough, exchange, TestClient } from "../harness/client.ts";
import { freePort, waitFor } from "../harness/sandbox.ts";
import { inProcessEdge } from "./_in-process.ts";

const bench = inProcessEdge();

describe("bad input gets a clear answer", () => {
  const answer = async (port: number, payload: string | Uint8Array) => (await exchange(port, payload)).bytes.toString("latin1");

  test("an oversized head is 431", async () => {
    const { ports } = bench.setup();
    const got = await answer(ports.edge, `CONNECT 127.0.0.1:1 HTTP/1.1\r\nX-Big: ${"a".repeat(70 * 1024)}\r\n\r\n`);
    expect(got).toStartWith("HTTP/1.1 431 ");
  });

  test("a head that never ends and passes 64 KiB is 431", async () => {
    const { ports } = bench.setup();
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
      const { ports } = bench.setup();
      const got = await answer(ports.edge, head);
      expect(got).toStartWith("HTTP/1.1 400 ");
      expect(got).toContain("X-Halton-Meter: edge");
    });
  }

  test("a refused target is 502 with the reason", async () => {
    const { ports, log } = bench.setup();
    const closed = freePort();
    const got = await answer(ports.edge, `CONNECT 127.0.0.1:${closed} HTTP/1.1\r\n\r\n`);
    expect(got).toStartWith("HTTP/1.1 502 ");
    expect(got).toContain(`connection refused by 127.0.0.1:${closed}`);
    expect(log.lines.some((l) => l.event === "edge.error" && l.kind === "refused")).toBe(true);
  });

  test("an unresolvable host is 502 (resolver answer injected: tests stay on loopback)", async () => {
    const connect: Connector = () => Promise.reject(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }));
    const { ports, log } = bench.setup({ dialer: new Dialer({ connector: connect, connectTimeoutMs: 2000 }) });
    const got = await answer(ports.edge, "CONNECT no-such-host.invalid:443 HTTP/1.1\r\n\r\n");
    expect(got).toStartWith("HTTP/1.1 502 ");
    expect(got).toContain("cannot resolve host no-such-host.invalid:443");
    expect(log.lines.some((l) => l.event === "edge.error" && l.kind === "dns")).toBe(true);
  });

  test("a target that never answers times out with 502", async () => {
    const connect: Connector = () => new Promise(() => {});
    const { ports } = bench.setup({ dialer: new Dialer({ connector: connect, connectTimeoutMs: 100 }) });
    const got = await answer(ports.edge, "CONNECT 127.0.0.1:9 HTTP/1.1\r\n\r\n");
    expect(got).toStartWith("HTTP/1.1 502 ");
    expect(got).toContain("timed out connecting to 127.0.0.1:9");
  });

  test("a slow client that never finishes its head is dropped with 408", async () => {
    const { ports } = bench.setup({ headTimeoutMs: 150 });
    const c = await TestClient.connect(ports.edge);
    c.write("CONNECT 127.0.0.1:1 HTTP/1.1\r\n");
    const got = await c.untilClosed();
    expect(got.toString()).toStartWith("HTTP/1.1 408 ");
  });

  test("requests aimed at our own ports are refused as loops", async () => {
    const { ports } = bench.setup();
    for (const p of [ports.edge, ports.internal, ports.api]) {
      for (const host of ["127.0.0.1", "localhost", "[::1]"]) {
        const got = await answer(ports.edge, `CONNECT ${host}:${p} HTTP/1.1\r\n\r\n`);
        expect(got).toStartWith("HTTP/1.1 403 ");
      }
      expect(await answer(ports.edge, `GET http://localhost:${p}/health HTTP/1.1\r\n\r\n`)).toStartWith("HTTP/1.1 403 ");
    }
  });

  test("a bug behind one connection (a dial that rejects) closes that connection at once; the next is served", async () => {
    let broken = true;
    class FlakyDialer extends Dialer {
      override tcp(...args: Parameters<Dialer["tcp"]>) {
        if (!broken) return super.tcp(...args);
        broken = false;
        return Promise.reject(new Error("a bug in the dialer"));
      }
    }
    const { ports, edge: e } = bench.setup({ dialer: new FlakyDialer({ connectTimeoutMs: 2000 }) });
    const first = await exchange(ports.edge, "CONNECT example.org:443 HTTP/1.1\r\n\r\n", { timeoutMs: 2000 });
    expect(first.closed).toBe(true);
    expect(first.bytes.length).toBe(0);
    await waitFor(() => e.active === 0, "the broken connection to be forgotten");
    await echoesThrough(ports.edge, bench.target);
  });

  test("beyond the connection cap the answer is 503, and others are unharmed", async () => {
    const { ports, edge: e } = bench.setup({ maxConnections: 2 });
    const a = await connectThrough(ports.edge, bench.target);
    const b = await TestClient.connect(ports.edge);
    await waitFor(() => e.active === 2, "the edge to hold both connections");
    const got = await answer(ports.edge, `CONNECT ${bench.target} HTTP/1.1\r\n\r\n`);
    expect(got).toStartWith("HTTP/1.1 503 ");
    a.write("still-fine");
    await a.untilText("still-fine");
    a.close();
    b.close();
  });
});
