import { describe, expect, test } from "bun:test";
import { headerTokens, headerValue, headerValues } from "../../core/http/headers.ts";
import { findHeadEnd, MAX_HEAD_BYTES, parseRequestHead, parseResponseHead } from "../../core/proxy/head.ts";
import { REQUEST_HEADS } from "./_heads.ts";

// core/proxy/head.ts as a pure parser: bytes in, incomplete | ok | invalid out.

const bytes = (s: string) => Buffer.from(s, "latin1");
const req = (s: string) => parseRequestHead(bytes(s));
const res = (s: string) => parseResponseHead(bytes(s));

describe("request heads", () => {
  test("a CONNECT head: method, target, version, headers in order", () => {
    const text = "CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\nProxy-Connection: Keep-Alive\r\nUser-Agent: claude-cli/1.0.0\r\n\r\n";
    const r = req(text);
    expect(r).toEqual({
      kind: "ok",
      length: text.length,
      head: {
        method: "CONNECT",
        target: "api.anthropic.com:443",
        version: "HTTP/1.1",
        headers: [
          ["Host", "api.anthropic.com:443"],
          ["Proxy-Connection", "Keep-Alive"],
          ["User-Agent", "claude-cli/1.0.0"],
        ],
      },
    });
  });

  test("header casing, order and duplicates are kept exactly; values keep inner bytes", () => {
    const text =
      "POST /v1/messages HTTP/1.1\r\n" +
      "host: api.anthropic.com\r\n" +
      "anthropic-beta: prompt-caching-2024-07-31,  interleaved-thinking-2025-05-14\r\n" +
      "X-MiXeD-CaSe: Value With  Two  Spaces\r\n" +
      "Set-Thing: a\r\n" +
      "anthropic-beta: fine-grained-tool-streaming-2025-05-14\r\n" +
      "Set-Thing: b\r\n" +
      "X-Latin1: caf\xe9\r\n" +
      "X-Empty:\r\n" +
      "\r\n";
    const r = req(text);
    if (r.kind !== "ok") throw new Error(`expected ok, got ${JSON.stringify(r)}`);
    expect(r.head.headers).toEqual([
      ["host", "api.anthropic.com"],
      ["anthropic-beta", "prompt-caching-2024-07-31,  interleaved-thinking-2025-05-14"],
      ["X-MiXeD-CaSe", "Value With  Two  Spaces"],
      ["Set-Thing", "a"],
      ["anthropic-beta", "fine-grained-tool-streaming-2025-05-14"],
      ["Set-Thing", "b"],
      ["X-Latin1", "caf\xe9"],
      ["X-Empty", ""],
    ]);
    // Every header value round-trips to the same bytes it arrived as.
    for (const [name, value] of r.head.headers) expect(text).toContain(`${name}:${value === "" ? "" : " "}${value}\r\n`);
    expect(headerValues(r.head.headers, "ANTHROPIC-BETA")).toEqual(["prompt-caching-2024-07-31,  interleaved-thinking-2025-05-14", "fine-grained-tool-streaming-2025-05-14"]);
    // A field on several lines reads as one value (RFC 9110 5.3), as the adapters read it too.
    expect(headerValue(r.head.headers, "set-thing")).toBe("a, b");
    expect(headerValue(r.head.headers, "absent")).toBeNull();
    expect(headerTokens(r.head.headers, "anthropic-beta")).toEqual(["prompt-caching-2024-07-31", "interleaved-thinking-2025-05-14", "fine-grained-tool-streaming-2025-05-14"]);
  });

  test("optional whitespace around a value is not part of it (RFC 9110 OWS)", () => {
    const r = req("GET / HTTP/1.1\r\nX:  \t padded \t \r\n\r\n");
    expect(r.kind === "ok" && r.head.headers).toEqual([["X", "padded"]]);
  });

  test("bare LF line ends and leading blank lines are tolerated", () => {
    const lf = "GET http://a.test/ HTTP/1.0\nHost: a.test\n\n";
    expect(req(`${lf}body`)).toMatchObject({ kind: "ok", length: lf.length, head: { version: "HTTP/1.0", headers: [["Host", "a.test"]] } });
    const lead = "\r\n\r\nCONNECT a.test:443 HTTP/1.1\r\n\r\n";
    expect(req(lead)).toMatchObject({ kind: "ok", length: lead.length, head: { method: "CONNECT", target: "a.test:443" } });
  });

  test("an absolute-form target keeps its query string bytes", () => {
    const r = req("GET http://example.test/a/b?c=1&d=%20x HTTP/1.1\r\n\r\n");
    expect(r.kind === "ok" && r.head.target).toBe("http://example.test/a/b?c=1&d=%20x");
  });

  test("findHeadEnd finds the blank line, or -1", () => {
    expect(findHeadEnd(bytes("A\r\n\r\nrest"))).toBe(5);
    expect(findHeadEnd(bytes("A\n\nrest"))).toBe(3);
    expect(findHeadEnd(bytes("A\r\nB\r\n"))).toBe(-1);
    expect(findHeadEnd(bytes("A\r\n\r"))).toBe(-1);
  });
});

describe("response heads", () => {
  test("status, reason and headers", () => {
    const text = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\ncache-control: no-cache\r\nrequest-id: req_1\r\n\r\n";
    expect(res(`${text}event: message_start\r\n`)).toEqual({
      kind: "ok",
      length: text.length,
      head: {
        version: "HTTP/1.1",
        status: 200,
        reason: "OK",
        headers: [
          ["Content-Type", "text/event-stream"],
          ["cache-control", "no-cache"],
          ["request-id", "req_1"],
        ],
      },
    });
  });

  test("an empty reason phrase and a multi-word one", () => {
    expect(res("HTTP/1.1 204\r\n\r\n")).toMatchObject({ kind: "ok", head: { status: 204, reason: "" } });
    expect(res("HTTP/1.0 529 Site Is Overloaded\r\n\r\n")).toMatchObject({ kind: "ok", head: { version: "HTTP/1.0", status: 529, reason: "Site Is Overloaded" } });
  });

  test("a malformed status line or header from upstream is 502", () => {
    for (const bad of ["HTTP/1.1 20 OK\r\n\r\n", "HTTP/2 200 OK\r\n\r\n", "SSH-2.0-x\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n"]) {
      expect(res(bad)).toMatchObject({ kind: "invalid", status: 502 });
    }
  });

  test("a response head past the limit is 502, not 431", () => {
    expect(parseResponseHead(bytes(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(200)}`), 100)).toMatchObject({ kind: "invalid", status: 502 });
  });
});

describe("every split point", () => {
  const heads = [
    ...REQUEST_HEADS.map((h) => ({ text: h, parse: (b: Uint8Array) => parseRequestHead(b) })),
    { text: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n", parse: (b: Uint8Array) => parseResponseHead(b) },
  ];
  for (const [i, { text, parse }] of heads.entries()) {
    test(`head #${i} is incomplete at every cut, then the same with junk appended`, () => {
      const whole = bytes(text);
      const full = parse(whole);
      expect(full.kind).toBe("ok");
      if (full.kind !== "ok") return;
      expect(full.length).toBe(whole.length);
      for (let cut = 0; cut < whole.length; cut++) expect(parse(whole.subarray(0, cut))).toEqual({ kind: "incomplete" });
      // A body, the next pipelined request or a TLS ClientHello after the blank line change nothing.
      for (const junk of ["x", "\r\n\r\n", "GET / HTTP/1.1\r\n\r\n", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc", "\0\xff\n\n"]) {
        expect(parse(Buffer.concat([whole, bytes(junk)]))).toEqual(full);
      }
    });
  }

  test("fed one byte at a time as a buffer grows, the first ok is at the exact end", () => {
    for (const text of REQUEST_HEADS) {
      const whole = bytes(`${text}BODY`);
      let firstOk = -1;
      for (let n = 0; n <= whole.length && firstOk < 0; n++) if (parseRequestHead(whole.subarray(0, n)).kind === "ok") firstOk = n;
      expect(firstOk).toBe(text.length);
    }
  });
});

describe("size limit", () => {
  const line = "CONNECT a.test:443 HTTP/1.1\r\n";
  const headOfSize = (size: number) => `${line}X-Pad: ${"p".repeat(size - line.length - "X-Pad: ".length - 4)}\r\n\r\n`;

  test("a head of exactly 64 KiB is accepted; one byte more is 431", () => {
    const exact = headOfSize(MAX_HEAD_BYTES);
    expect(exact.length).toBe(MAX_HEAD_BYTES);
    expect(req(exact)).toMatchObject({ kind: "ok", length: MAX_HEAD_BYTES });
    expect(req(headOfSize(MAX_HEAD_BYTES + 1))).toMatchObject({ kind: "invalid", status: 431 });
  });

  test("an unfinished head is incomplete up to 64 KiB and 431 past it", () => {
    const open = `${line}X-Pad: ${"p".repeat(MAX_HEAD_BYTES)}`;
    expect(req(open.slice(0, MAX_HEAD_BYTES))).toEqual({ kind: "incomplete" });
    expect(req(open.slice(0, MAX_HEAD_BYTES + 1))).toMatchObject({ kind: "invalid", status: 431 });
  });

  test("endless blank lines do not hide from the limit", () => {
    expect(req("\r\n".repeat(MAX_HEAD_BYTES))).toMatchObject({ kind: "invalid", status: 431 });
  });

  test("a custom limit is honoured", () => {
    expect(parseRequestHead(bytes(headOfSize(200)), 199)).toMatchObject({ kind: "invalid", status: 431 });
    expect(parseRequestHead(bytes(headOfSize(200)), 200)).toMatchObject({ kind: "ok" });
  });
});

describe("invalid request heads are 400 with a reason", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["bad method token", "G(T / HTTP/1.1\r\n\r\n", /method/],
    ["method with NUL", "GE\0T / HTTP/1.1\r\n\r\n", /method/],
    ["HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", /protocol/],
    ["lowercase version", "GET / http/1.1\r\n\r\n", /protocol/],
    ["version without minor", "GET / HTTP/1\r\n\r\n", /protocol/],
    ["no version", "GET /\r\n\r\n", /request line/],
    ["space inside the target", "GET /a b HTTP/1.1\r\n\r\n", /request line/],
    ["two spaces between parts", "GET  / HTTP/1.1\r\n\r\n", /request line/],
    ["tab inside the target", "GET /a\tb HTTP/1.1\r\n\r\n", /target/],
    ["DEL inside the target", "GET /a\x7f HTTP/1.1\r\n\r\n", /target/],
    ["trailing space after version", "GET / HTTP/1.1 \r\n\r\n", /request line/],
    ["header without colon", "GET / HTTP/1.1\r\nno colon here\r\n\r\n", /malformed header/],
    ["header with empty name", "GET / HTTP/1.1\r\n: value\r\n\r\n", /malformed header/],
    ["space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", /header name/],
    ["obs-fold continuation", "GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n", /folding/],
    ["first header line folded (tab)", "GET / HTTP/1.1\r\n\tX-A: one\r\n\r\n", /folding/],
    ["NUL in a header value", "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n", /invalid characters/],
    ["binary junk (a TLS ClientHello)", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", /request line|method/],
  ];
  for (const [name, text, reason] of cases) {
    test(name, () => {
      const r = req(text);
      expect(r.kind).toBe("invalid");
      if (r.kind === "invalid") {
        expect(r.status).toBe(400);
        expect(r.reason).toMatch(reason);
      }
    });
  }
});

// Known defects, kept as failing tests until core/proxy/head.ts is fixed (see the report).
describe("value bytes are kept exactly (head.ts: `.trim()` strips more than SP/HTAB)", () => {
  test("a bare CR at the end of a header value makes the head invalid (RFC 9112 section 2.2)", () => {
    expect(req("GET / HTTP/1.1\r\nX-A: a\r\r\n\r\n").kind).toBe("invalid");
  });

  test("an obs-text byte 0xA0 ending a header value is part of the value", () => {
    const r = req("GET / HTTP/1.1\r\nX-A: a\xa0\r\n\r\n");
    expect(r.kind === "ok" && r.head.headers).toEqual([["X-A", "a\xa0"]]);
  });
});
