import { describe, expect, test } from "bun:test";
import { type ProxiedAddress, parseProxyLine, proxyLineFor, renderProxyLine } from "../../core/proxy/proxy-protocol.ts";

const bytes = (s: string) => Buffer.from(s, "latin1");

describe("render and parse round trip", () => {
  const addresses: ProxiedAddress[] = [
    { family: "TCP4", sourceAddress: "127.0.0.1", sourcePort: 51234, destAddress: "127.0.0.1", destPort: 8081 },
    { family: "TCP4", sourceAddress: "192.168.10.20", sourcePort: 1, destAddress: "10.0.0.1", destPort: 65535 },
    { family: "TCP6", sourceAddress: "::1", sourcePort: 40000, destAddress: "::1", destPort: 8081 },
    { family: "TCP6", sourceAddress: "2001:db8::dead:beef", sourcePort: 0, destAddress: "fe80::1", destPort: 443 },
  ];
  for (const a of addresses) {
    test(`${a.family} ${a.sourceAddress}:${a.sourcePort}`, () => {
      const line = renderProxyLine(a);
      expect(line).toEndWith("\r\n");
      expect(line.length).toBeLessThanOrEqual(107);
      const tail = "CONNECT api.anthropic.com:443 HTTP/1.1\r\n\r\n";
      expect(parseProxyLine(bytes(line + tail))).toEqual({ kind: "ok", address: a, length: line.length });
    });
  }

  test("proxyLineFor: IPv4-mapped addresses are written as TCP4, real IPv6 as TCP6", () => {
    expect(proxyLineFor("::ffff:127.0.0.1", 5000, "::ffff:127.0.0.1", 8081)).toBe("PROXY TCP4 127.0.0.1 127.0.0.1 5000 8081\r\n");
    expect(proxyLineFor("127.0.0.1", 5000, "127.0.0.1", 8081)).toBe("PROXY TCP4 127.0.0.1 127.0.0.1 5000 8081\r\n");
    expect(proxyLineFor("::1", 5000, "::1", 8081)).toBe("PROXY TCP6 ::1 ::1 5000 8081\r\n");
  });
});

describe("parseProxyLine", () => {
  test("no PROXY prefix is absent, whatever follows", () => {
    for (const s of ["GET / HTTP/1.1\r\n\r\n", "CONNECT a:1 HTTP/1.1\r\n\r\n", "\x16\x03\x01", "proxy TCP4 a b 1 2\r\n", "PROXYX"]) {
      expect(parseProxyLine(bytes(s))).toEqual({ kind: "absent" });
    }
  });

  test("every prefix of a line is incomplete until the CRLF", () => {
    const line = "PROXY TCP4 127.0.0.1 127.0.0.1 51234 8081\r\n";
    for (let cut = 0; cut < line.length; cut++) expect(parseProxyLine(bytes(line.slice(0, cut)))).toEqual({ kind: "incomplete" });
    expect(parseProxyLine(bytes(line))).toMatchObject({ kind: "ok", length: line.length });
  });

  test("UNKNOWN carries no address, with or without the optional fields", () => {
    expect(parseProxyLine(bytes("PROXY UNKNOWN\r\nGET"))).toEqual({ kind: "ok", address: null, length: 15 });
    const long = "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n";
    expect(parseProxyLine(bytes(long))).toEqual({ kind: "ok", address: null, length: long.length });
  });

  test("a line longer than the spec's 107 bytes is invalid, even before its end arrives", () => {
    expect(parseProxyLine(bytes(`PROXY TCP4 ${"1".repeat(120)}`))).toMatchObject({ kind: "invalid", reason: expect.stringContaining("too long") });
    const exact = `PROXY TCP6 ${"a".repeat(107 - 2 - "PROXY TCP6 ".length - " b 1 2".length)} b 1 2\r\n`;
    expect(exact.length).toBe(107);
    expect(parseProxyLine(bytes(exact))).toMatchObject({ kind: "ok", length: 107 });
  });

  const invalid: Array<[string, string]> = [
    ["LF without CR", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"],
    ["too few fields", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"],
    ["too many fields", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"],
    ["unknown family", "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"],
    ["port out of range", "PROXY TCP4 1.2.3.4 5.6.7.8 1 70000\r\n"],
    ["negative port", "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"],
    ["fractional port", "PROXY TCP4 1.2.3.4 5.6.7.8 1.5 2\r\n"],
  ];
  for (const [name, line] of invalid) {
    test(`${name} is invalid`, () => expect(parseProxyLine(bytes(line)).kind).toBe("invalid"));
  }
});

// Known defect, kept failing until fixed (see the report): ports go through Number(), which
// reads "" as 0 and "0x10" as 16; the spec allows decimal digits only.
describe("parseProxyLine: ports are decimal digits", () => {
  for (const [name, line] of [
    ["empty source port", "PROXY TCP4 1.2.3.4 5.6.7.8  2\r\n"],
    ["hexadecimal port", "PROXY TCP4 1.2.3.4 5.6.7.8 0x10 2\r\n"],
    ["exponent port", "PROXY TCP4 1.2.3.4 5.6.7.8 1e3 2\r\n"],
  ] as const) {
    test(`${name} is invalid`, () => expect(parseProxyLine(bytes(line)).kind).toBe("invalid"));
  }
});
