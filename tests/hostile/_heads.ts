// Malformed and hostile request heads, each with the answer a proxy port owes it. The edge and
// the daemon's internal port parse heads with the same code (core/proxy/head.ts), so they share
// the table; `daemon` overrides an answer where the daemon words it differently.

export interface Answer {
  /** The exact status line. */
  status: string;
  /** The exact body, decoded as the UTF-8 it is declared as (a reason quoting our bytes quotes them as latin1 characters), or a pattern. */
  body: string | RegExp;
}

export interface HeadCase {
  name: string;
  send: string;
  expect: Answer;
  daemon?: Answer;
}

const bad = (body: string | RegExp): Answer => ({ status: "HTTP/1.1 400 Bad Request", body: typeof body === "string" ? `${body}\n` : body });
const tooBig: Answer = { status: "HTTP/1.1 431 Request Header Fields Too Large", body: "request head larger than 65536 bytes\n" };
const badPort = (p: string) => bad(`bad CONNECT target: invalid port ${JSON.stringify(p)}`);

/** Binary junk without a line feed, so a parser can only give up on its size. */
function junk(n: number): string {
  let x = 0x2545f491;
  let out = "";
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const b = (x >>> 0) % 256;
    out += String.fromCharCode(b === 10 ? 11 : b);
  }
  return out;
}

export const HEAD_CASES: HeadCase[] = [
  // Request lines
  { name: "request line of two words", send: "CONNECT example.com:443\r\n\r\n", expect: bad("malformed request line") },
  { name: "request line of four words", send: "CONNECT example.com:443 HTTP/1.1 extra\r\n\r\n", expect: bad("malformed request line") },
  { name: "empty method", send: " example.com:443 HTTP/1.1\r\n\r\n", expect: bad("invalid method") },
  { name: "method with a NUL", send: "CONN\0ECT example.com:443 HTTP/1.1\r\n\r\n", expect: bad("invalid method") },
  { name: "method of non-UTF-8 bytes", send: "\xc3\x28\xff example.com:443 HTTP/1.1\r\n\r\n", expect: bad("invalid method") },
  { name: "HTTP/2.0 in the request line", send: "CONNECT example.com:443 HTTP/2.0\r\n\r\n", expect: bad('unsupported protocol "HTTP/2.0"') },
  { name: "lower-case protocol", send: "CONNECT example.com:443 http/1.1\r\n\r\n", expect: bad('unsupported protocol "http/1.1"') },
  { name: "control byte in the target", send: "CONNECT exa\x01mple.com:443 HTTP/1.1\r\n\r\n", expect: bad("invalid request target") },
  { name: "NUL in the target", send: "CONNECT example.com\0:443 HTTP/1.1\r\n\r\n", expect: bad("invalid request target") },
  { name: "a request line of only CRLFs, 90 KB of them", send: "\r\n".repeat(45_000), expect: tooBig },
  // CONNECT targets and ports
  { name: "port above 65535", send: "CONNECT example.com:65536 HTTP/1.1\r\n\r\n", expect: badPort("65536") },
  { name: "port 99999", send: "CONNECT example.com:99999 HTTP/1.1\r\n\r\n", expect: badPort("99999") },
  { name: "port 0", send: "CONNECT example.com:0 HTTP/1.1\r\n\r\n", expect: badPort("0") },
  { name: "negative port", send: "CONNECT example.com:-1 HTTP/1.1\r\n\r\n", expect: badPort("-1") },
  { name: "port in hex", send: "CONNECT example.com:0x1bb HTTP/1.1\r\n\r\n", expect: badPort("0x1bb") },
  { name: "empty port", send: "CONNECT example.com: HTTP/1.1\r\n\r\n", expect: badPort("") },
  { name: "port of six digits", send: "CONNECT example.com:100443 HTTP/1.1\r\n\r\n", expect: badPort("100443") },
  { name: "missing port", send: "CONNECT example.com HTTP/1.1\r\n\r\n", expect: bad("bad CONNECT target: missing port") },
  { name: "empty host", send: "CONNECT :443 HTTP/1.1\r\n\r\n", expect: bad('bad CONNECT target: invalid host ""') },
  { name: "host with an empty label", send: "CONNECT a..b:443 HTTP/1.1\r\n\r\n", expect: bad('bad CONNECT target: invalid host "a..b"') },
  { name: "host of non-UTF-8 bytes", send: "CONNECT ex\xffample.com:443 HTTP/1.1\r\n\r\n", expect: bad('bad CONNECT target: invalid host "ex\xffample.com"') },
  { name: "host of 300 letters", send: `CONNECT ${"a".repeat(300)}:443 HTTP/1.1\r\n\r\n`, expect: bad(/^bad CONNECT target: invalid host "a{60}"\n$/) },
  { name: "unclosed IPv6 bracket", send: "CONNECT [::1:443 HTTP/1.1\r\n\r\n", expect: bad("bad CONNECT target: unclosed [ in IPv6 address") },
  { name: "IPv6 of letters", send: "CONNECT [zz::1]:443 HTTP/1.1\r\n\r\n", expect: bad("bad CONNECT target: invalid IPv6 address") },
  { name: "junk after IPv6", send: "CONNECT [::1]x443 HTTP/1.1\r\n\r\n", expect: bad("bad CONNECT target: junk after IPv6 address") },
  // Header lines
  { name: "NUL in a header value", send: "CONNECT example.com:443 HTTP/1.1\r\nX-A: a\0b\r\n\r\n", expect: bad("invalid characters in header X-A") },
  { name: "NUL in a header name", send: "CONNECT example.com:443 HTTP/1.1\r\nX\0A: b\r\n\r\n", expect: bad('invalid header name "X\\u0000A"') },
  { name: "non-UTF-8 header name", send: "CONNECT example.com:443 HTTP/1.1\r\nX\xff\xfe: b\r\n\r\n", expect: bad('invalid header name "X\xff\xfe"') },
  { name: "space in a header name", send: "CONNECT example.com:443 HTTP/1.1\r\nX A: b\r\n\r\n", expect: bad('invalid header name "X A"') },
  { name: "space before the colon", send: "CONNECT example.com:443 HTTP/1.1\r\nHost : b\r\n\r\n", expect: bad('invalid header name "Host "') },
  { name: "header line without a colon", send: "CONNECT example.com:443 HTTP/1.1\r\nnot a header\r\n\r\n", expect: bad('malformed header line "not a header"') },
  { name: "header line that starts with a colon", send: "CONNECT example.com:443 HTTP/1.1\r\n: value\r\n\r\n", expect: bad('malformed header line ": value"') },
  { name: "obsolete line folding", send: "CONNECT example.com:443 HTTP/1.1\r\nX-A: a\r\n  folded\r\n\r\n", expect: bad("obsolete header line folding") },
  { name: "bare CR inside a header value", send: "CONNECT example.com:443 HTTP/1.1\r\nX-A: a\rb\r\n\r\n", expect: bad("invalid characters in header X-A") },
  // Size
  { name: "one header of 70 KB", send: `CONNECT example.com:443 HTTP/1.1\r\nX-Big: ${"a".repeat(70_000)}\r\n\r\n`, expect: tooBig },
  { name: "12,000 small headers (72 KB)", send: `CONNECT example.com:443 HTTP/1.1\r\n${"a: b\r\n".repeat(12_000)}\r\n`, expect: tooBig },
  { name: "a head that never ends, past 64 KiB", send: `CONNECT example.com:443 HTTP/1.1\r\nX-Big: ${"a".repeat(70_000)}`, expect: tooBig },
  { name: "a request line of 70 KB", send: `CONNECT ${"a".repeat(70_000)}:443 HTTP/1.1\r\n\r\n`, expect: tooBig },
  // Not HTTP at all
  { name: "a TLS record instead of a request", send: "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\xff\xfe\r\n\r\n", expect: bad("malformed request line") },
  { name: "an SSH banner", send: "SSH-2.0-OpenSSH_9.6\r\n\r\n", expect: bad("malformed request line") },
  { name: "70 KB of binary junk without a line end", send: junk(70_000), expect: tooBig },
  { name: "an HTTP response instead of a request", send: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", expect: bad("invalid method") },
  // Not a CONNECT
  {
    name: "origin-form GET",
    send: "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    expect: bad("this is Halton Meter's proxy port: send CONNECT host:port or an absolute http:// URL"),
    daemon: bad("this is Halton Meter's daemon port: send CONNECT host:port"),
  },
  {
    name: "asterisk-form OPTIONS",
    send: "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n",
    expect: bad("this is Halton Meter's proxy port: send CONNECT host:port or an absolute http:// URL"),
    daemon: bad("this is Halton Meter's daemon port: send CONNECT host:port"),
  },
  {
    name: "https:// absolute URL",
    send: "GET https://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
    expect: bad("only http:// URLs can be proxied in plain HTTP (use CONNECT for https)"),
    daemon: bad("this is Halton Meter's daemon port: send CONNECT host:port"),
  },
  {
    name: "credentials in an absolute URL",
    send: "GET http://user:pw@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
    expect: bad("credentials in the URL are not supported"),
    daemon: bad("this is Halton Meter's daemon port: send CONNECT host:port"),
  },
];

/** CONNECT (or absolute-form) targets that reach our own ports: every one is a proxy loop. */
export function loopTargets(ports: { edge: number; internal: number; api: number }): string[] {
  const out: string[] = [];
  for (const port of [ports.edge, ports.internal, ports.api]) {
    for (const host of ["127.0.0.1", "localhost", "LOCALHOST", "localhost.", "127.1", "0x7f.0.0.1", "2130706433", "0.0.0.0", "[::1]", "[::ffff:127.0.0.1]", "foo.localhost"]) {
      out.push(`${host}:${port}`);
    }
  }
  return out;
}
