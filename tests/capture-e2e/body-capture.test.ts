// BodyCapture on its own: what the daemon hands the store for one exchange, fed in any chunking.

import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { BodyCapture } from "../../core/capture/bodies.ts";
import type { RawHeaders } from "../../core/http/types.ts";

const enc = new TextEncoder();
const REQ_HEAD = "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nContent-Type: application/json\r\n\r\n";

function capture(max: number, request: string, response?: { head: string; headers: RawHeaders; body: Uint8Array }, chunk = 0): { request: string; response: string | null } {
  const c = new BodyCapture(max, enc.encode(REQ_HEAD), [["Content-Type", "application/json"]]);
  const feed = (bytes: Uint8Array, to: (b: Uint8Array) => void) => {
    if (chunk === 0) return to(bytes);
    for (let i = 0; i < bytes.length; i += chunk) to(bytes.subarray(i, i + chunk));
  };
  feed(enc.encode(request), (b) => c.onRequestBody(b));
  if (response) {
    c.onResponseHead(enc.encode(response.head), response.headers);
    feed(response.body, (b) => c.onResponseBody(b));
  }
  return c.finish();
}

describe("BodyCapture", () => {
  test("head and body as HTTP text; no response head means no response", () => {
    expect(capture(100, '{"a":1}')).toEqual({ request: `${REQ_HEAD}{"a":1}`, response: null });
  });

  test("a body of exactly the cap is whole; one byte more is cut, with the received size", () => {
    const body = "x".repeat(64);
    for (const chunk of [0, 1, 7]) {
      expect(capture(64, body, undefined, chunk).request).toBe(REQ_HEAD + body);
      expect(capture(64, `${body}y`, undefined, chunk).request).toBe(`${REQ_HEAD}${body}\n[halton-meter: body cut at 64 bytes; 65 bytes received]`);
    }
  });

  test("a gzip response is stored decoded, whatever the chunking", () => {
    const json = JSON.stringify({ usage: { input_tokens: 3 }, text: "é".repeat(300) });
    const head = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n";
    for (const chunk of [0, 1, 13]) {
      const got = capture(1 << 20, "{}", { head, headers: [["Content-Encoding", "gzip"]], body: gzipSync(json) }, chunk);
      expect(got.response).toBe(head + json);
    }
  });

  test("a gzip response over the cap is cut after decoding and says it was compressed", () => {
    const json = "z".repeat(5000);
    const got = capture(100, "{}", { head: "HTTP/1.1 200 OK\r\n\r\n", headers: [["Content-Encoding", "gzip"]], body: gzipSync(json) });
    expect(got.response).toMatch(/^HTTP\/1\.1 200 OK\r\n\r\nz{100}\n\[halton-meter: body cut at 100 bytes; \d+ bytes received \(gzip on the wire, stored decoded\)\]$/);
  });

  test("a corrupt gzip body keeps what decoded and says why the rest is missing", () => {
    const bad = enc.encode("this is not gzip at all");
    const got = capture(1000, "{}", { head: "HTTP/1.1 200 OK\r\n\r\n", headers: [["Content-Encoding", "gzip"]], body: bad });
    expect(got.response).toMatch(/\n\[halton-meter: body not fully decoded: corrupt gzip data/);
  });

  test("body_max_bytes = 0 keeps the heads only", () => {
    expect(capture(0, "{}").request).toBe(`${REQ_HEAD}\n[halton-meter: body cut at 0 bytes; 2 bytes received]`);
  });
});
