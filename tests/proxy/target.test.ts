import { describe, expect, test } from "bun:test";
import { isLoopbackHost, parseAbsoluteUrl, parseAuthority } from "../../core/proxy/target.ts";

describe("parseAuthority (CONNECT targets)", () => {
  const good: Array<[string, string, number]> = [
    ["api.anthropic.com:443", "api.anthropic.com", 443],
    ["API.Anthropic.COM:443", "api.anthropic.com", 443],
    ["api.openai.com.:443", "api.openai.com", 443],
    ["127.0.0.1:8080", "127.0.0.1", 8080],
    ["localhost:1", "localhost", 1],
    ["a_b.internal:65535", "a_b.internal", 65535],
    ["xn--bcher-kva.example:443", "xn--bcher-kva.example", 443],
    ["[::1]:443", "::1", 443],
    ["[2001:DB8::1]:8443", "2001:db8::1", 8443],
    ["[::ffff:127.0.0.1]:80", "::ffff:127.0.0.1", 80],
  ];
  for (const [authority, host, port] of good) {
    test(`${authority} → ${host} port ${port}`, () => {
      expect(parseAuthority(authority)).toEqual({ ok: true, target: { host, port } });
    });
  }

  const bad: Array<[string, RegExp]> = [
    ["example.com", /missing port/],
    ["example.com:", /invalid port/],
    ["example.com:0", /invalid port/],
    ["example.com:65536", /invalid port/],
    ["example.com:99999", /invalid port/],
    ["example.com:123456", /invalid port/],
    ["example.com:https", /invalid port/],
    ["example.com:+443", /invalid port/],
    ["example.com:-1", /invalid port/],
    ["example.com:44 3", /invalid port/],
    [":443", /invalid host/],
    ["exa$mple.com:443", /invalid host/],
    ["-leading.example:443", /invalid host/],
    ["a..b:443", /invalid host/],
    ["host:443:443", /invalid host/],
    [`${"a".repeat(254)}:443`, /invalid host/],
    ["::1:443", /invalid host/],
    ["[::1]", /missing port/],
    ["[::1", /unclosed/],
    ["[::1]x:443", /junk after/],
    ["[zz::1]:443", /invalid IPv6/],
    ["[127.0.0.1]:443", /invalid IPv6/],
    ["[::1]:0", /invalid port/],
  ];
  for (const [authority, reason] of bad) {
    test(`${JSON.stringify(authority.slice(0, 40))} is refused`, () => {
      const r = parseAuthority(authority);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    });
  }

  test("a default port is used only when none is given", () => {
    expect(parseAuthority("example.com", 80)).toEqual({ ok: true, target: { host: "example.com", port: 80 } });
    expect(parseAuthority("[::1]", 80)).toEqual({ ok: true, target: { host: "::1", port: 80 } });
    expect(parseAuthority("example.com:8080", 80)).toEqual({ ok: true, target: { host: "example.com", port: 8080 } });
  });
});

describe("parseAbsoluteUrl (plain-HTTP proxy requests)", () => {
  test("host, port and origin-form path", () => {
    expect(parseAbsoluteUrl("http://example.test/a/b?c=1&d=2")).toEqual({ ok: true, target: { host: "example.test", port: 80 }, path: "/a/b?c=1&d=2" });
    expect(parseAbsoluteUrl("HTTP://Example.TEST:8080/p")).toEqual({ ok: true, target: { host: "example.test", port: 8080 }, path: "/p" });
    expect(parseAbsoluteUrl("http://[::1]:8080/x")).toEqual({ ok: true, target: { host: "::1", port: 8080 }, path: "/x" });
  });

  test("an empty path becomes /, a bare query keeps its ?, a fragment is dropped", () => {
    expect(parseAbsoluteUrl("http://example.test")).toMatchObject({ ok: true, path: "/" });
    expect(parseAbsoluteUrl("http://example.test?q=1")).toMatchObject({ ok: true, path: "/?q=1" });
    expect(parseAbsoluteUrl("http://example.test/p#frag")).toMatchObject({ ok: true, path: "/p" });
  });

  test("https, other schemes, credentials and bad ports are refused with a reason", () => {
    expect(parseAbsoluteUrl("https://example.test/")).toMatchObject({ ok: false, reason: expect.stringContaining("CONNECT") });
    expect(parseAbsoluteUrl("ftp://example.test/")).toMatchObject({ ok: false });
    expect(parseAbsoluteUrl("http://user:pw@example.test/")).toMatchObject({ ok: false, reason: expect.stringContaining("credentials") });
    expect(parseAbsoluteUrl("http://example.test:0/")).toMatchObject({ ok: false, reason: expect.stringContaining("port") });
    expect(parseAbsoluteUrl("http://ex ample.test/")).toMatchObject({ ok: false });
  });
});

describe("isLoopbackHost", () => {
  for (const h of ["localhost", "LOCALHOST", "localhost.localdomain", "ip6-localhost", "api.localhost", "127.0.0.1", "127.1.2.3", "127.255.255.254", "0.0.0.0", "::1", "::", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"]) {
    test(`${h} is loopback`, () => expect(isLoopbackHost(h)).toBe(true));
  }
  for (const h of ["example.com", "localhost.example.com", "mylocalhost", "128.0.0.1", "10.0.0.1", "192.168.1.1", "126.255.255.255", "2001:db8::1", "::2"]) {
    test(`${h} is not loopback`, () => expect(isLoopbackHost(h)).toBe(false));
  }
});

// Known defect, kept failing until fixed (see the report): the resolver reaches 127.0.0.1 from
// every one of these spellings (checked with Bun.connect), so `CONNECT 127.1:<edge port>`
// slips past the edge's loop check and the edge connects to itself.
describe("isLoopbackHost: other spellings the resolver maps to loopback", () => {
  for (const h of ["127.1", "2130706433", "0x7f.1", "0177.0.0.1", "::ffff:7f00:1", "0"]) {
    test(`${h} is loopback`, () => expect(isLoopbackHost(h)).toBe(true));
  }
});
