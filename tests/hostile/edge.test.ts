// The edge (a real process) against the hostile head corpus, proxy loops, slowloris, non-UTF-8
// that must pass untouched, and a crowd of connections past its limit. It must answer each with
// the exact status, stay up, and stay small.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { exchange } from "../harness/client.ts";
import { STARTUP_HOOK_MS } from "../harness/meter.ts";
import { type EchoServer, echoServer } from "../harness/raw.ts";
import { MSG_BODY } from "../daemon/_env.ts";
import { HEAD_CASES, loopTargets } from "./_heads.ts";
import { type HostileEnv, mb, RSS_BOUND, startHostileEnv, vitals } from "./_env.ts";
import { bodyOf, runTlsCases, statusLine } from "./_wire.ts";

const HEAD_TIMEOUT_MS = 700;
const MAX_CONNECTIONS = 300;

let env: HostileEnv;
let echo: EchoServer;

beforeAll(async () => {
  echo = echoServer();
  env = await startHostileEnv({ extraToml: `[edge]\nhead_timeout_ms = ${HEAD_TIMEOUT_MS}\nmax_connections = ${MAX_CONNECTIONS}\n` });
}, STARTUP_HOOK_MS);
afterAll(async () => {
  echo?.stop();
  await env?.stop();
});

const edgeSays = (b: Buffer) => b.toString("latin1").includes("\r\nX-Halton-Meter: edge\r\n");

describe("malformed heads: the exact answer, then the edge closes", () => {
  test.each(HEAD_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const got = await exchange(env.sb.ports.edge, Buffer.from(c.send, "latin1"));
    expect(statusLine(got.bytes)).toBe(c.expect.status);
    if (typeof c.expect.body === "string") expect(bodyOf(got.bytes)).toBe(c.expect.body);
    else expect(bodyOf(got.bytes)).toMatch(c.expect.body);
    expect(edgeSays(got.bytes)).toBe(true);
    expect(got.closed).toBe(true);
  });

  test("every case at once, on as many connections: each still gets its own answer", async () => {
    const all = await Promise.all(HEAD_CASES.map((c) => exchange(env.sb.ports.edge, Buffer.from(c.send, "latin1"))));
    expect(all.map((o) => statusLine(o.bytes))).toEqual(HEAD_CASES.map((c) => c.expect.status));
    expect(all.every((o) => o.closed)).toBe(true);
  });
});

describe("proxy loops: CONNECT or GET to our own ports is 403", () => {
  test("CONNECT to every spelling of loopback on the edge, daemon and API ports", async () => {
    const targets = loopTargets(env.sb.ports);
    const got = await Promise.all(targets.map((t) => exchange(env.sb.ports.edge, `CONNECT ${t} HTTP/1.1\r\nHost: ${t}\r\n\r\n`)));
    const answers = got.map((o, i) => `${targets[i]} ${statusLine(o.bytes)} ${o.closed ? "closed" : "open"}`);
    expect(answers).toEqual(targets.map((t) => `${t} HTTP/1.1 403 Forbidden closed`));
  });

  test("absolute-form GET to the API's /health", async () => {
    const got = await exchange(env.sb.ports.edge, `GET http://127.0.0.1:${env.sb.ports.api}/health HTTP/1.1\r\nHost: 127.0.0.1:${env.sb.ports.api}\r\n\r\n`);
    expect(statusLine(got.bytes)).toBe("HTTP/1.1 403 Forbidden");
    expect(bodyOf(got.bytes)).toBe(`refusing to proxy to 127.0.0.1:${env.sb.ports.api}: that is Halton Meter itself (a proxy loop)\n`);
    expect(got.closed).toBe(true);
  });
});

describe("bytes the edge must pass untouched", () => {
  test("a non-UTF-8 header value is legal: the tunnel opens and relays", async () => {
    const want = "HTTP/1.1 200 Connection Established\r\n\r\nping\xff";
    const got = await exchange(env.sb.ports.edge, Buffer.from(`CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nX-Bytes: \xff\xfe\xc3\x28\r\n\r\nping\xff`, "latin1"), { until: (b) => b.length >= want.length });
    expect(got.bytes.toString("latin1")).toBe(want);
  });

  test("10,000 headers under the size limit are parsed and the tunnel opens", async () => {
    const want = "HTTP/1.1 200 Connection Established\r\n\r\nhello";
    const got = await exchange(env.sb.ports.edge, `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n${"a:b\r\n".repeat(10_000)}\r\nhello`, { until: (b) => b.length >= want.length });
    expect(got.bytes.toString("latin1")).toBe(want);
  });
});

describe("clients that never finish their head", () => {
  test.each([
    ["a header line every 50 ms", "CONNECT example.com:443 HTTP/1.1\r\n", "X-Slow: a\r\n"],
    ["the request line one byte at a time", "C", "O"],
    ["nothing at all after connecting", "", ""],
  ])("%s: 408 after the head timeout, then closed", async (_name, first, dribble) => {
    const got = await exchange(env.sb.ports.edge, first, { dribble: dribble || undefined, timeoutMs: 10_000 });
    expect(statusLine(got.bytes)).toBe("HTTP/1.1 408 Request Timeout");
    expect(bodyOf(got.bytes)).toBe(`no complete request head within ${HEAD_TIMEOUT_MS} ms\n`);
    expect(got.closed).toBe(true);
  });

  test("a client that half-closes before any byte: closed, no answer", async () => {
    const got = await exchange(env.sb.ports.edge, "", { halfClose: true });
    expect({ bytes: got.bytes.length, closed: got.closed }).toEqual({ bytes: 0, closed: true });
  });
});

describe("many connections at once", () => {
  test("250 malformed heads in parallel: 250 answers of 400", async () => {
    const got = await Promise.all(Array.from({ length: 250 }, (_, i) => exchange(env.sb.ports.edge, `CONNECT host-${i}.example:99999 HTTP/1.1\r\n\r\n`)));
    expect(got.filter((o) => statusLine(o.bytes) === "HTTP/1.1 400 Bad Request" && o.closed).length).toBe(250);
  });

  test(`past max_connections (${MAX_CONNECTIONS}): 503 at once, the rest 408 at the head timeout, nothing else`, async () => {
    const n = MAX_CONNECTIONS + 100;
    const got = await Promise.all(Array.from({ length: n }, () => exchange(env.sb.ports.edge, "CONNECT example.com:443 HTTP/1.1\r\n", { timeoutMs: 10_000 })));
    const lines = got.map((o) => statusLine(o.bytes));
    const over = lines.filter((l) => l === "HTTP/1.1 503 Service Unavailable").length;
    const timedOut = lines.filter((l) => l === "HTTP/1.1 408 Request Timeout").length;
    expect(over + timedOut).toBe(n);
    expect(timedOut).toBeLessThanOrEqual(MAX_CONNECTIONS);
    expect(over).toBeGreaterThanOrEqual(100);
    expect(got.every((o) => o.closed)).toBe(true);
  }, 20_000);
});

describe("after the corpus", () => {
  test("the edge still tunnels, chains a metered request to the daemon, and /health answers", async () => {
    const want = "HTTP/1.1 200 Connection Established\r\n\r\nstill-here";
    const tunnel = await exchange(env.sb.ports.edge, `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\nstill-here`, { until: (b) => b.length >= want.length });
    expect(tunnel.bytes.toString("latin1")).toBe(want);
    const request = `POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nUser-Agent: hostile/edge-after\r\nContent-Type: application/json\r\nContent-Length: ${MSG_BODY.length}\r\nConnection: close\r\n\r\n${MSG_BODY}`;
    const [normal] = await runTlsCases(env.ourCaPath, [{ name: "normal", port: env.sb.ports.edge, steps: [{ send: request }] }]);
    expect(statusLine(normal!.head)).toBe("HTTP/1.1 200 OK");
    expect(normal!.closed).toBe(true);
    const row = await env.rowFor("hostile/edge-after");
    expect([row.status, row.tokens_complete, row.input_tokens]).toEqual([200, 1, 1]);
  });

  test("no process died and resident memory stayed bounded", async () => {
    const v = await vitals(env);
    console.log(`edge RSS ${mb(v.edgeRss)} (peak ${mb(v.edgePeak)}), daemon RSS ${mb(v.daemonRss)} (peak ${mb(v.daemonPeak)})`);
    expect([v.edgeAlive, v.daemonAlive, v.health]).toEqual([true, true, true]);
    expect(v.edgePeak!).toBeLessThan(RSS_BOUND);
    expect(v.daemonPeak!).toBeLessThan(RSS_BOUND);
  });
});
