import { describe, expect, test } from "bun:test";
import { BodyTracker, type Framing, keepsAlive, requestFraming, responseFraming } from "../../core/proxy/framing.ts";
import { parseRequestHead } from "../../core/proxy/head.ts";

// Where a body ends, fed whole, byte by byte and cut at every offset, with junk after it.

const headers = (text: string) => {
  const p = parseRequestHead(Buffer.from(`POST / HTTP/1.1\r\n${text}\r\n`), 65536);
  if (p.kind !== "ok") throw new Error(`bad test head: ${text}`);
  return p.head.headers;
};

describe("requestFraming", () => {
  test.each([
    ["Host: a\r\n", { kind: "none" }],
    ["Content-Length: 0\r\n", { kind: "none" }],
    ["Content-Length: 12\r\n", { kind: "length", length: 12 }],
    ["Content-Length: 12\r\nContent-Length: 12\r\n", { kind: "length", length: 12 }],
    ["Transfer-Encoding: gzip, chunked\r\n", { kind: "chunked" }],
  ] as Array<[string, Framing]>)("%j frames as %j", (h, framing) => {
    expect(requestFraming(headers(h))).toEqual({ ok: true, framing });
  });

  test.each([
    ["Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "both Transfer-Encoding and Content-Length"],
    ["Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", "both Transfer-Encoding and Content-Length"],
    ["Transfer-Encoding: chunked, gzip\r\n", "must end in chunked"],
    ["Content-Length: 12\r\nContent-Length: 13\r\n", "invalid Content-Length"],
    ["Content-Length: -1\r\n", "invalid Content-Length"],
    ["Content-Length: 1e3\r\n", "invalid Content-Length"],
    ["Content-Length: 99999999999999999999\r\n", "invalid Content-Length"],
  ])("%j is refused (%s)", (h, reason) => {
    const r = requestFraming(headers(h));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe("responseFraming", () => {
  test("HEAD, 1xx, 204 and 304 have no body; no length means read to close", () => {
    for (const [m, s] of [["HEAD", 200], ["GET", 101], ["GET", 204], ["GET", 304]] as const) expect(responseFraming(m, s, headers("Content-Length: 5\r\n"))).toEqual({ ok: true, framing: { kind: "none" } });
    expect(responseFraming("GET", 200, headers("Host: a\r\n"))).toEqual({ ok: true, framing: { kind: "close" } });
    expect(responseFraming("GET", 200, headers("Transfer-Encoding: gzip\r\n"))).toEqual({ ok: true, framing: { kind: "close" } });
  });
});

/** Feeds `bytes` in the given pieces; what the tracker consumed, its payload, whether done. */
function run(framing: Framing, pieces: Uint8Array[]): { consumed: number; payload: string; done: boolean; invalid?: string } {
  const t = new BodyTracker(framing);
  let consumed = 0;
  let payload = "";
  for (const p of pieces) {
    const r = t.feed(p);
    if (r.kind === "invalid") return { consumed, payload, done: false, invalid: r.reason };
    consumed += r.consumed;
    payload += Buffer.concat(r.payload).toString("latin1");
    if (r.done) break;
  }
  return { consumed, payload, done: t.done };
}

const cuts = (b: Buffer): Buffer[][] => [[b], [...b].map((x) => Buffer.from([x])), ...Array.from({ length: b.length - 1 }, (_, i) => [b.subarray(0, i + 1), b.subarray(i + 1)])];

describe("BodyTracker", () => {
  const chunked = Buffer.from("5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n");
  const junk = Buffer.from("GET /next HTTP/1.1\r\n\r\n");

  test("a chunked body at every cut, with the next message after it: same payload, ends exactly", () => {
    for (const pieces of cuts(Buffer.concat([chunked, junk]))) {
      expect(run({ kind: "chunked" }, pieces)).toEqual({ consumed: chunked.length, payload: "hello, world", done: true });
    }
  });

  test("a length body at every cut stops at its length", () => {
    const body = Buffer.from("0123456789");
    for (const pieces of cuts(Buffer.concat([body, junk]))) expect(run({ kind: "length", length: 10 }, pieces)).toEqual({ consumed: 10, payload: "0123456789", done: true });
  });

  test("invalid chunk sizes and a missing CRLF after data are invalid, at every cut", () => {
    for (const bad of ["zz\r\nhello\r\n0\r\n\r\n", "5\r\nhelloX\r\n0\r\n\r\n", "-1\r\n\r\n", `${"f".repeat(13)}\r\n`]) {
      for (const pieces of cuts(Buffer.from(bad))) expect(run({ kind: "chunked" }, pieces).invalid).toBeDefined();
    }
  });

  test("a chunk line longer than 4 KiB is invalid rather than buffered without end", () => {
    expect(run({ kind: "chunked" }, [Buffer.from(`5;${"x".repeat(5000)}`)]).invalid).toBe("chunk line too long");
  });

  test("read-to-close takes everything and never finishes by itself", () => {
    expect(run({ kind: "close" }, [Buffer.from("abc"), Buffer.from("def")])).toEqual({ consumed: 6, payload: "abcdef", done: false });
  });
});

test("keepsAlive: HTTP/1.1 unless Connection: close; HTTP/1.0 only with keep-alive", () => {
  expect(keepsAlive("HTTP/1.1", headers("Host: a\r\n"))).toBe(true);
  expect(keepsAlive("HTTP/1.1", headers("Connection: Close\r\n"))).toBe(false);
  expect(keepsAlive("HTTP/1.0", headers("Host: a\r\n"))).toBe(false);
  expect(keepsAlive("HTTP/1.0", headers("Connection: keep-alive\r\n"))).toBe(true);
});
