// The daemon's internal port against clients that stall or leave: a CONNECT head that never
// ends, no ClientHello, a decrypted connection that never asks anything, idle keep-alive, a bad
// request body, a client that half-closes mid-body, and more connections than max_connections.
// Every one ends with its sockets let go and, where an exchange began, exactly one row.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectThrough, exchange, type TestClient } from "../harness/client.ts";
import { anthropicJson } from "../harness/fake-provider.ts";
import { type MeterEnv, type Row, startMeter, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { echoServer } from "../harness/raw.ts";
import { waitFor } from "../harness/sandbox.ts";
import { runTlsCases, statusLine } from "../hostile/_wire.ts";
import { eventName, MSG_BODY } from "./_env.ts";
import { fdCount } from "./_proc-sockets.ts";

const startEnv = (daemonToml: string, edge: boolean) => startMeter({ prefix: "hm-robust-", hosts: ["api.anthropic.com"], daemonToml, edge });
const byAgent = (ua: string) => (r: Row) => r.user_agent === ua;
const rowsOf = (env: MeterEnv, ua: string, n: number) => env.waitRows(n, byAgent(ua), `${n} rows of ${ua}`);
const request = (ua: string, extra = "") => `POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nUser-Agent: ${ua}\r\nContent-Type: application/json\r\n${extra}`;
const whole = (ua: string) => `${request(ua, `Content-Length: ${MSG_BODY.length}\r\n`)}\r\n${MSG_BODY}`;
const ANSWER_BYTES = Buffer.byteLength(anthropicJson({ input: 1, output: 1 }), "latin1");

const HEAD_MS = 500;
const IDLE_MS = 3000;

describe("timeouts on the internal port", () => {
  let env: MeterEnv;
  beforeAll(async () => {
    env = await startEnv(`head_timeout_ms = ${HEAD_MS}\nidle_timeout_ms = ${IDLE_MS}\n`, false);
  }, STARTUP_HOOK_MS);
  afterAll(() => env?.stop());

  test("a CONNECT head that never ends (a header line every 100 ms): 408, then closed", async () => {
    const got = await exchange(env.sb.ports.internal, "CONNECT api.anthropic.com:443 HTTP/1.1\r\n", { dribble: "X-Slow: a\r\n", dribbleMs: 100, timeoutMs: 15_000 });
    expect([statusLine(got.bytes), got.closed]).toEqual(["HTTP/1.1 408 Request Timeout", true]);
  }, 20_000);

  test("a CONNECT with no ClientHello after it: closed, and the process is not put on the TLS bypass", async () => {
    const got = await exchange(env.sb.ports.internal, "CONNECT api.anthropic.com:443 HTTP/1.1\r\n\r\n", { timeoutMs: 15_000 });
    expect([statusLine(got.bytes), got.closed]).toEqual(["HTTP/1.1 200 Connection Established", true]);
    const failures = env.logEvents().filter((e) => eventName(e) === "intercept.tls_failed");
    expect(failures.map((e) => [e.kind, e.bypass_minutes])).toEqual([["timeout", undefined]]);
  }, 20_000);

  test("a decrypted connection that never sends a request: closed without an answer", async () => {
    const [o] = await runTlsCases(env.ourCaPath, [{ name: "silent", port: env.sb.ports.internal, steps: [], timeoutMs: 15_000 }]);
    expect([o!.closed, o!.timedOut ?? false, o!.length]).toEqual([true, false, 0]);
  }, 20_000);

  test("half a request head inside TLS, then nothing: 408, then closed", async () => {
    const [o] = await runTlsCases(env.ourCaPath, [{ name: "half", port: env.sb.ports.internal, steps: [{ send: request("robust-half") }], timeoutMs: 15_000 }]);
    expect([statusLine(o!.head), o!.closed]).toEqual(["HTTP/1.1 408 Request Timeout", true]);
    expect(env.rows(byAgent("robust-half"))).toEqual([]);
  }, 20_000);

  test("keep-alive: idle between requests for longer than the head timeout is fine; the idle timeout then closes it", async () => {
    const steps = [
      { send: whole("robust-ka") },
      { untilLength: ANSWER_BYTES },
      // Three head timeouts of quiet: the first exchange's timer must not be the one in force.
      { waitMs: 3 * HEAD_MS },
      { send: whole("robust-ka") },
      { untilLength: 2 * ANSWER_BYTES },
    ];
    const [o] = await runTlsCases(env.ourCaPath, [{ name: "ka", port: env.sb.ports.internal, steps, timeoutMs: 20_000 }]);
    expect([o!.length, o!.closed, o!.timedOut ?? false]).toEqual([2 * ANSWER_BYTES, true, false]);
    expect(statusLine(o!.head)).toBe("HTTP/1.1 200 OK");
    expect((await rowsOf(env, "robust-ka", 2)).map((r) => r.status)).toEqual([200, 200]);
  }, 30_000);

  test("an invalid chunk size in a request body: 400, one row with the reason, the upstream connection let go", async () => {
    const before = fdCount(env.daemon.pid);
    const cases = Array.from({ length: 10 }, (_, i) => ({ name: `b${i}`, port: env.sb.ports.internal, steps: [{ send: `${request("robust-b", "Transfer-Encoding: chunked\r\n")}\r\nzz\r\n` }] }));
    const got = await runTlsCases(env.ourCaPath, cases);
    expect(got.map((o) => `${statusLine(o.head)} ${o.closed}`)).toEqual(cases.map(() => "HTTP/1.1 400 Bad Request true"));
    const rows = await rowsOf(env, "robust-b", 10);
    expect(rows.length).toBe(10);
    expect(rows.every((r) => String(r.note).includes("invalid chunk size") && r.tokens_complete === 0)).toBe(true);
    // Each exchange had opened an upstream connection: all ten are closed again.
    await waitFor(() => fdCount(env.daemon.pid) - before < 5, "the daemon's sockets to be closed");
  }, 30_000);

  test("a client that half-closes after 5 of 100 body bytes: the exchange ends, a row, both sockets closed", async () => {
    const before = fdCount(env.daemon.pid);
    const got = await halfCloseMidBody(env, 10);
    expect(got).toEqual(Array.from({ length: 10 }, () => "closed"));
    const rows = await rowsOf(env, "robust-c", 10);
    expect(rows.length).toBe(10);
    expect(rows.every((r) => String(r.note).includes("mid-request-body") && r.tokens_complete === 0)).toBe(true);
    await waitFor(() => fdCount(env.daemon.pid) - before < 5, "the daemon's sockets to be closed");
  }, 30_000);
});

/** `n` clients (one Node process): CONNECT, TLS, a head promising 100 bytes, 5 of them, FIN. */
async function halfCloseMidBody(env: MeterEnv, n: number): Promise<string[]> {
  const script = `
const net = require('net'), tls = require('tls'), fs = require('fs');
const [port, ca, head, n] = JSON.parse(process.env.CFG);
function one() {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { resolve('open'); t && t.destroy(); raw.destroy(); }, 10000);
    let t = null;
    const raw = net.connect(port, '127.0.0.1', () => raw.write('CONNECT api.anthropic.com:443 HTTP/1.1\\r\\n\\r\\n'));
    raw.once('data', () => {
      t = tls.connect({ socket: raw, servername: 'api.anthropic.com', ca: fs.readFileSync(ca), allowHalfOpen: true });
      t.on('secureConnect', () => { t.write(head); setTimeout(() => t.end(), 20); });
      t.on('data', () => {});
      t.on('end', () => { clearTimeout(timer); resolve('closed'); t.destroy(); });
      t.on('error', () => { clearTimeout(timer); resolve('closed'); });
    });
  });
}
(async () => { for (let i = 0; i < n; i++) console.log(await one()); })();
`;
  const head = `${request("robust-c", "Content-Length: 100\r\n")}\r\n{"a":`;
  const p = Bun.spawn(["node", "-e", script], { env: { ...env.sb.env, CFG: JSON.stringify([env.sb.ports.internal, env.ourCaPath, head, n]) }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`the client exited ${code}: ${err}`);
  return out.trim().split("\n");
}

describe("raw tunnels through the daemon", () => {
  let env: MeterEnv;
  const echo = echoServer();
  beforeAll(async () => {
    env = await startEnv("", false);
  }, STARTUP_HOOK_MS);
  afterAll(async () => {
    echo.stop();
    await env?.stop();
  });

  test("bytes and a FIN the client sends with its CONNECT, before the tunnel is open, reach the target in order", async () => {
    const started = performance.now();
    const got = await exchange(env.sb.ports.internal, `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\nsent-early`, { halfClose: true, timeoutMs: 5000 });
    // The echo server answers and closes on the FIN: a FIN lost on the way would leave the tunnel open until the timeout.
    expect([got.bytes.toString("latin1"), got.closed]).toEqual(["HTTP/1.1 200 Connection Established\r\n\r\nsent-early", true]);
    expect(performance.now() - started).toBeLessThan(4000);
  });
});

describe("max_connections on the internal port", () => {
  const LIMIT = 2;
  let env: MeterEnv;
  const echo = echoServer();
  const held: TestClient[] = [];
  beforeAll(async () => {
    env = await startEnv(`max_connections = ${LIMIT}\n`, true);
  }, STARTUP_HOOK_MS);
  afterAll(async () => {
    for (const s of held) s.terminate();
    echo.stop();
    await env?.stop();
  });

  /** A raw tunnel through the daemon to the echo server, kept open: it holds one connection slot. */
  const holdTunnel = async () => void held.push(await connectThrough(env.sb.ports.internal, `127.0.0.1:${echo.port}`));

  test("beyond it a direct client gets 503, the edge tunnels the same request raw, and a freed slot serves again", async () => {
    for (let i = 0; i < LIMIT; i++) await holdTunnel();
    const direct = await exchange(env.sb.ports.internal, "CONNECT api.anthropic.com:443 HTTP/1.1\r\n\r\n");
    expect([statusLine(direct.bytes), direct.closed]).toEqual(["HTTP/1.1 503 Service Unavailable", true]);

    // Through the edge the daemon says nothing, so the edge tunnels raw: the client meets the
    // fake provider's own certificate (which keeps the connection), and no row is written.
    const [viaEdge] = await runTlsCases(env.certs.caPath, [{ name: "edge", port: env.sb.ports.edge, steps: [{ send: whole("robust-cap-edge") }, { untilLength: ANSWER_BYTES }], after: "abort" }]);
    expect([statusLine(viaEdge!.head), viaEdge!.length]).toEqual(["HTTP/1.1 200 OK", ANSWER_BYTES]);
    expect(env.logEvents("edge.log").some((e) => eventName(e) === "edge.passthrough" && e.reason === "daemon-closed")).toBe(true);
    expect(env.rows(byAgent("robust-cap-edge"))).toEqual([]);

    held.shift()!.terminate();
    const ok = await waitFor(async () => {
      const [o] = await runTlsCases(env.ourCaPath, [{ name: "freed", port: env.sb.ports.internal, steps: [{ send: whole("robust-cap").replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n") }] }]);
      return statusLine(o!.head) === "HTTP/1.1 200 OK";
    }, "a freed slot");
    expect(ok).toBe(true);
    expect((await env.waitRow(byAgent("robust-cap"), "the row")).status).toBe(200);
  }, 30_000);
});
