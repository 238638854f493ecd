// The daemon's internal port (a real process) against the hostile head corpus, bad PROXY lines,
// TLS garbage where a ClientHello belongs, and malformed HTTP inside the decrypted connection,
// directly and through the edge. Each gets its exact answer; the daemon stays up and small.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { exchange } from "../harness/client.ts";
import { STARTUP_HOOK_MS } from "../harness/meter.ts";
import { MSG_BODY } from "../daemon/_env.ts";
import { HEAD_CASES, loopTargets } from "./_heads.ts";
import { type HostileEnv, mb, RSS_BOUND, startHostileEnv, vitals } from "./_env.ts";
import { waitFor } from "../harness/sandbox.ts";
import { bodyOf, runTlsCases, statusLine, type TlsCase } from "./_wire.ts";

let env: HostileEnv;
beforeAll(async () => {
  env = await startHostileEnv();
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

const daemonSays = (b: Buffer) => b.toString("latin1").includes("\r\nX-Halton-Meter: daemon\r\n");
const plain = (status: string, reason: string) => ({ status, body: `${reason}\n` });
const bad = (reason: string) => plain("HTTP/1.1 400 Bad Request", reason);

describe("malformed heads on the internal port: the exact answer, then the daemon closes", () => {
  test.each(HEAD_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const want = c.daemon ?? c.expect;
    const got = await exchange(env.sb.ports.internal, Buffer.from(c.send, "latin1"));
    expect(statusLine(got.bytes)).toBe(want.status);
    if (typeof want.body === "string") expect(bodyOf(got.bytes)).toBe(want.body);
    else expect(bodyOf(got.bytes)).toMatch(want.body);
    expect(daemonSays(got.bytes)).toBe(true);
    expect(got.closed).toBe(true);
  });

  test("CONNECT to every spelling of loopback on our own ports: 403", async () => {
    const targets = loopTargets(env.sb.ports);
    const got = await Promise.all(targets.map((t) => exchange(env.sb.ports.internal, `CONNECT ${t} HTTP/1.1\r\n\r\n`)));
    expect(got.map((o, i) => `${targets[i]} ${statusLine(o.bytes)} ${o.closed}`)).toEqual(targets.map((t) => `${t} HTTP/1.1 403 Forbidden true`));
  });

  test("250 malformed heads in parallel: 250 answers of 400", async () => {
    const got = await Promise.all(Array.from({ length: 250 }, (_, i) => exchange(env.sb.ports.internal, `CONNECT host-${i}.example:0 HTTP/1.1\r\n\r\n`)));
    expect(got.filter((o) => statusLine(o.bytes) === "HTTP/1.1 400 Bad Request" && o.closed).length).toBe(250);
  });
});

describe("PROXY lines the edge would never send", () => {
  const CONNECT = "CONNECT api.anthropic.com:443 HTTP/1.1\r\n\r\n";
  test.each([
    ["a word instead of addresses", `PROXY junk\r\n${CONNECT}`, bad("malformed PROXY line")],
    ["a port above 65535", `PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n${CONNECT}`, bad("bad port in PROXY line")],
    ["a port of letters", `PROXY TCP4 1.2.3.4 5.6.7.8 http 1\r\n${CONNECT}`, bad("bad port in PROXY line")],
    ["a bare LF line end", `PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n${CONNECT}`, bad("PROXY line must end in CRLF")],
    ["a line past 107 bytes", `PROXY TCP4 ${"1".repeat(200)}\r\n${CONNECT}`, bad("PROXY line too long")],
    ["an unknown family", `PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n${CONNECT}`, bad("malformed PROXY line")],
    ["PROXY UNKNOWN, then a malformed head", "PROXY UNKNOWN\r\nCONNECT\r\n\r\n", bad("malformed request line")],
    ["a valid line, then a head past 64 KiB", `PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nCONNECT a:1 HTTP/1.1\r\nX: ${"a".repeat(70_000)}\r\n\r\n`, plain("HTTP/1.1 431 Request Header Fields Too Large", "request head larger than 65536 bytes")],
  ])("%s", async (_name, send, want) => {
    const got = await exchange(env.sb.ports.internal, send);
    expect([statusLine(got.bytes), bodyOf(got.bytes), got.closed]).toEqual([want.status, want.body, true]);
  });
});

/** The first flight of a real TLS client (Bun's), naming api.anthropic.com. */
function clientHello(): Promise<Buffer> {
  return new Promise((resolve) => {
    const l = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(s, d) {
          resolve(Buffer.from(d));
          s.terminate();
          l.stop(true);
        },
      },
    });
    Bun.connect({ hostname: "127.0.0.1", port: l.port, tls: { serverName: "api.anthropic.com", rejectUnauthorized: false }, socket: { data() {}, error() {} } }).catch(() => {});
  });
}

/** The same pseudo-random bytes every run. */
function noise(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe("TLS garbage after CONNECT to an intercepted host: the daemon closes, nothing else", () => {
  // Each case comes from a Node process of its own: a failed handshake makes the daemon tunnel
  // that process raw for an hour (its answer to a client that does not trust our CA).
  const cases: Array<[string, () => Promise<Uint8Array[]>, (head: Buffer) => void]> = [
    ["plain HTTP instead of a ClientHello", async () => [Buffer.from("GET /v1/models HTTP/1.1\r\nHost: api.anthropic.com\r\n\r\n")], (h) => expect(h.length).toBe(0)],
    ["a TLS record that is not a handshake", async () => [Buffer.from("\x16\x03\x01\x00\x05hello", "latin1")], (h) => expect(h[0]).toBe(0x15)],
    ["a ClientHello, then an application-data record of junk", async () => [await clientHello(), Buffer.from("\x17\x03\x03\x00\x05hello", "latin1")], (h) => expect(h[0]).toBe(0x16)],
    ["half a ClientHello, then the client leaves", async () => [(await clientHello()).subarray(0, 100)], (h) => expect(h.length).toBe(0)],
    ["100 KB of noise", async () => [noise(100_000)], (h) => expect(h.length === 0 || h[0] === 0x15).toBe(true)],
  ];
  test.each(cases)("%s", async (name, bytes, check) => {
    const steps = (await bytes()).map((send) => ({ send }));
    const after = name.includes("leaves") ? ("abort" as const) : ("close" as const);
    const [got] = await runTlsCases(env.ourCaPath, [{ name, port: env.sb.ports.internal, raw: true, steps, after }]);
    if (after === "close") expect(got!.closed).toBe(true);
    check(got!.head);
  });

  test("a ClientHello naming a host outside our CA's domains: refused, closed", async () => {
    const [got] = await runTlsCases(env.ourCaPath, [{ name: "sni", port: env.sb.ports.internal, servername: "evil.example", steps: [] }]);
    // The refusal is a TLS alert and then a close; Node reports the alert as an error, and on a
    // busy machine that can come first. Either way nothing was answered and the daemon said no.
    expect(got!.length).toBe(0);
    expect(got!.closed || /alert/i.test(String(got!.error ?? ""))).toBe(true);
    const refused = await waitFor(() => env.logEvents().find((e) => e.event === "intercept.tls_failed" && e.sni === "evil.example"), "the refusal's log line");
    expect(refused).toMatchObject({ side: "client", kind: "sni-refused" });
    expect(String(refused.reason)).toStartWith("the client asked for evil.example, which Halton Meter does not decrypt: ");
  });

  test("each failed handshake is logged as intercept.tls_failed", async () => {
    // Logged when the daemon's side closes, which the client may see a moment before.
    const failed = await waitFor(() => {
      const lines = env.logEvents().filter((e) => e.event === "intercept.tls_failed");
      return lines.length >= cases.length ? lines : null;
    }, `${cases.length} intercept.tls_failed lines`);
    expect(failed.every((e) => typeof e.kind === "string" && typeof e.reason === "string")).toBe(true);
  });
});

const REQ = "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nContent-Type: application/json\r\n";
type InsideCase = { name: string; send: string; status: string; body?: string; then?: string };

/** Malformed HTTP inside the decrypted connection, each with the daemon's exact answer. */
const INSIDE: InsideCase[] = [
  { name: "invalid chunk size", send: `${REQ}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`, status: "HTTP/1.1 400 Bad Request", body: 'invalid chunk size "zz"\n' },
  { name: "chunk size of 16 hex digits", send: `${REQ}Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nx\r\n0\r\n\r\n`, status: "HTTP/1.1 400 Bad Request", body: 'invalid chunk size "ffffffffffffffff"\n' },
  { name: "negative chunk size", send: `${REQ}Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n`, status: "HTTP/1.1 400 Bad Request", body: 'invalid chunk size "-5"\n' },
  { name: "chunk extension past 4 KiB", send: `${REQ}Transfer-Encoding: chunked\r\n\r\n2;${"e".repeat(5000)}\r\n{}\r\n0\r\n\r\n`, status: "HTTP/1.1 400 Bad Request", body: "chunk line too long\n" },
  { name: "chunk data without its CRLF", send: `${REQ}Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n`, status: "HTTP/1.1 400 Bad Request", body: "missing CRLF after chunk data\n" },
  { name: "Transfer-Encoding that does not end in chunked", send: `${REQ}Transfer-Encoding: chunked, gzip\r\n\r\n{}`, status: "HTTP/1.1 400 Bad Request", body: "request Transfer-Encoding must end in chunked\n" },
  { name: "negative Content-Length", send: `${REQ}Content-Length: -1\r\n\r\n{}`, status: "HTTP/1.1 400 Bad Request", body: "invalid Content-Length\n" },
  { name: "Content-Length of 20 digits", send: `${REQ}Content-Length: 99999999999999999999\r\n\r\n{}`, status: "HTTP/1.1 400 Bad Request", body: "invalid Content-Length\n" },
  { name: "two different Content-Lengths", send: `${REQ}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, status: "HTTP/1.1 400 Bad Request", body: "invalid Content-Length\n" },
  { name: "Content-Length in hex", send: `${REQ}Content-Length: 0x2\r\n\r\n{}`, status: "HTTP/1.1 400 Bad Request", body: "invalid Content-Length\n" },
  { name: "a request head past 64 KiB", send: `${REQ}X-Big: ${"a".repeat(70_000)}\r\n\r\n`, status: "HTTP/1.1 431 Request Header Fields Too Large", body: "request head larger than 65536 bytes\n" },
  { name: "NUL in a header value", send: `${REQ}X-A: a\0b\r\nContent-Length: 2\r\n\r\n{}`, status: "HTTP/1.1 400 Bad Request", body: "invalid characters in header X-A\n" },
  { name: "obsolete line folding", send: `${REQ}X-A: a\r\n b\r\nContent-Length: 2\r\n\r\n{}`, status: "HTTP/1.1 400 Bad Request", body: "obsolete header line folding\n" },
  { name: "garbage instead of a request", send: "\x00\x01\x02\xff\xfe\r\n\r\n", status: "HTTP/1.1 400 Bad Request", body: "malformed request line\n" },
  {
    name: "a good request, then pipelined garbage: the answer, then 400",
    send: `${REQ}User-Agent: hostile/pipelined\r\nContent-Length: 2\r\n\r\n{}JUNK\r\n\r\n`,
    status: "HTTP/1.1 200 OK",
    then: "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\nConnection: close\r\nX-Halton-Meter: daemon\r\n\r\nmalformed request line\n",
  },
  { name: "10,000 headers under the size limit are forwarded", send: `${REQ}User-Agent: hostile/many-headers\r\n${"a: b\r\n".repeat(10_000)}Content-Length: 2\r\nConnection: close\r\n\r\n{}`, status: "HTTP/1.1 200 OK" },
];

describe.each([
  ["directly on the internal port", () => env.sb.ports.internal],
  ["through the edge (chained)", () => env.sb.ports.edge],
])("malformed HTTP inside TLS, %s", (_where, port) => {
  let outcomes: Awaited<ReturnType<typeof runTlsCases>>;
  beforeAll(async () => {
    const cases: TlsCase[] = INSIDE.map((c) => ({ name: c.name, port: port(), steps: [{ send: c.send }] }));
    outcomes = await runTlsCases(env.ourCaPath, cases);
  }, 30_000);

  test.each(INSIDE.map((c, i) => [c.name, c, i] as const))("%s", (_name, c, i) => {
    const got = outcomes[i]!;
    expect(got.error).toBeUndefined();
    expect(statusLine(got.head)).toBe(c.status);
    if (c.body !== undefined) expect(bodyOf(got.head)).toBe(c.body);
    if (c.body !== undefined) expect(daemonSays(got.head)).toBe(true);
    if (c.then !== undefined) expect(got.head.toString("latin1").endsWith(c.then)).toBe(true);
    expect(got.closed).toBe(true);
  });
});

describe("after the corpus", () => {
  test("a normal request is metered, directly and through the edge, and /health answers", async () => {
    const request = (ua: string) => `${REQ}User-Agent: ${ua}\r\nContent-Length: ${MSG_BODY.length}\r\nConnection: close\r\n\r\n${MSG_BODY}`;
    const got = await runTlsCases(env.ourCaPath, [
      { name: "direct", port: env.sb.ports.internal, steps: [{ send: request("hostile/daemon-after-direct") }] },
      { name: "edge", port: env.sb.ports.edge, steps: [{ send: request("hostile/daemon-after-edge") }] },
    ]);
    expect(got.map((o) => statusLine(o.head))).toEqual(["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);
    for (const ua of ["hostile/daemon-after-direct", "hostile/daemon-after-edge"]) {
      const row = await env.rowFor(ua);
      expect([row.status, row.tokens_complete, row.input_tokens]).toEqual([200, 1, 1]);
    }
  });

  test("no process died and resident memory stayed bounded", async () => {
    const v = await vitals(env);
    console.log(`daemon RSS ${mb(v.daemonRss)} (peak ${mb(v.daemonPeak)}), edge RSS ${mb(v.edgeRss)} (peak ${mb(v.edgePeak)})`);
    expect([v.daemonAlive, v.edgeAlive, v.health]).toEqual([true, true, true]);
    expect(v.daemonPeak!).toBeLessThan(RSS_BOUND);
    expect(v.edgePeak!).toBeLessThan(RSS_BOUND);
  });
});
