import { beforeAll, describe, expect, test } from "bun:test";
import { bypasses, classifyClientTlsFailure, describeClientTlsFailure, type HandshakeWatch, newWatch, REJECT_WINDOW_MS, watchBytes } from "../../core/tls/client-failure.ts";

// What a client's TLS records say about why its handshake failed: a real ClientHello (made by
// Python's ssl, as a client would send it), cut at every offset, then the alert curl and Python
// send when they refuse our certificate. The verdicts that follow, one per way of ending.

let hello: Buffer;
beforeAll(() => {
  const py = `import ssl,sys
out = ssl.MemoryBIO()
o = ssl.create_default_context().wrap_bio(ssl.MemoryBIO(), out, server_hostname="api.anthropic.com")
try: o.do_handshake()
except ssl.SSLWantReadError: pass
sys.stdout.buffer.write(out.read())`;
  const r = Bun.spawnSync(["python3", "-c", py]);
  hello = Buffer.from(r.stdout);
  expect(hello[0]).toBe(0x16);
});

/** unknown_ca, fatal: the record curl and Python send after our certificate. */
const UNKNOWN_CA = Buffer.from("150303000202" + "30", "hex");
const feed = (chunks: Buffer[]): HandshakeWatch => chunks.reduce((w, c) => watchBytes(w, c), newWatch());
const closed = (msSinceHello: number | null) => ({ how: "closed" as const, errorText: null, msSinceHello });

describe("watching the client's records", () => {
  test("a ClientHello is complete only with its last byte, at every cut", () => {
    for (let cut = 0; cut <= hello.length; cut++) {
      const first = feed([hello.subarray(0, cut)]);
      expect(first.helloComplete).toBe(cut === hello.length);
      expect(feed([hello.subarray(0, cut), hello.subarray(cut)]).helloComplete).toBe(true);
    }
  });

  test("the alert after it is read at every cut, and bytes after it change nothing", () => {
    const wire = Buffer.concat([hello, UNKNOWN_CA, Buffer.from("junk after the alert")]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const w = feed([wire.subarray(0, cut), wire.subarray(cut)]);
      expect([w.helloComplete, w.alert]).toEqual([true, 48]);
    }
  });

  test("encrypted records stop the watch; what it knew stays", () => {
    const w = feed([hello, Buffer.from("1703030010" + "00".repeat(16), "hex"), UNKNOWN_CA]);
    expect([w.helloComplete, w.opaque, w.alert]).toEqual([true, true, null]);
  });

  test("a ClientHello followed by bytes of no TLS record type reads the same however the bytes are cut", () => {
    const wire = Buffer.concat([hello, Buffer.from("GET / HTTP/1.1\r\n\r\n")]);
    for (const cut of [hello.length, hello.length + 3, wire.length]) {
      const w = feed(cut === wire.length ? [wire] : [wire.subarray(0, cut), wire.subarray(cut)]);
      expect([w.helloComplete, w.opaque, w.notTls]).toEqual([true, true, false]);
    }
  });

  test("bytes that are not TLS at all are told apart from a ClientHello cut short", () => {
    expect(feed([Buffer.from("GET / HTTP/1.1\r\n\r\n")]).notTls).toBe(true);
    expect(feed([hello.subarray(0, 40)]).notTls).toBe(false);
  });

  test("what waits for the rest of a record never passes one maximal record, however the bytes come", () => {
    const wire = Buffer.concat([Buffer.from("160301ffff", "hex"), Buffer.alloc(200_000, 1)]);
    let w = newWatch();
    let most = 0;
    for (let at = 0; at < wire.length; at += 1024) {
      w = watchBytes(w, wire.subarray(at, at + 1024));
      most = Math.max(most, w.carry.length + w.hello.length);
    }
    expect(most).toBeLessThanOrEqual(2 * (0xffff + 5));
    expect(most).toBeGreaterThan(0xffff);
    expect(w.helloComplete).toBe(false);
  });
});

describe("the verdict", () => {
  const complete = () => feed([hello]);

  test("an alert about our certificate is a refusal, whatever else happened", () => {
    const w = feed([hello, UNKNOWN_CA]);
    for (const how of ["closed", "reset", "timeout"] as const) {
      const f = classifyClientTlsFailure(w, { how, errorText: null, msSinceHello: 5000 });
      expect(f).toEqual({ kind: "cert-rejected", alert: "unknown_ca" });
      expect(bypasses(f)).toBe(true);
    }
  });

  test("an alert Bun decrypted and named in its error counts the same", () => {
    const f = classifyClientTlsFailure(complete(), { how: "closed", errorText: "error:10000418:SSL routines:OPENSSL_internal:TLSV1_ALERT_UNKNOWN_CA", msSinceHello: 3 });
    expect(f).toEqual({ kind: "cert-rejected", alert: "unknown_ca" });
  });

  test("a close without an alert right after a whole ClientHello is Node's refusal; a later one is a client giving up", () => {
    expect(classifyClientTlsFailure(complete(), closed(4))).toEqual({ kind: "closed-on-certificate", ms: 4 });
    expect(classifyClientTlsFailure(complete(), closed(REJECT_WINDOW_MS))).toEqual({ kind: "closed-on-certificate", ms: REJECT_WINDOW_MS });
    const late = classifyClientTlsFailure(complete(), closed(REJECT_WINDOW_MS + 1));
    expect(late).toEqual({ kind: "abandoned", ms: REJECT_WINDOW_MS + 1 });
    expect(bypasses(late)).toBe(false);
  });

  test("a reset, a timeout, half a ClientHello, other alerts and non-TLS bytes never bypass", () => {
    const cases = [
      [classifyClientTlsFailure(complete(), { how: "reset", errorText: null, msSinceHello: 1 }), "reset"],
      [classifyClientTlsFailure(complete(), { how: "timeout", errorText: null, msSinceHello: 10_000, timeoutMs: 10_000 }), "timeout"],
      [classifyClientTlsFailure(feed([hello.subarray(0, 100)]), closed(null)), "closed-early"],
      [classifyClientTlsFailure(feed([hello, Buffer.from("15030300020246", "hex")]), closed(1)), "alert"],
      [classifyClientTlsFailure(feed([Buffer.from("hello?\r\n")]), closed(null)), "not-tls"],
    ] as const;
    for (const [f, kind] of cases) {
      expect(f.kind).toBe(kind);
      expect(bypasses(f)).toBe(false);
    }
    expect(classifyClientTlsFailure(feed([hello, Buffer.from("15030300020246", "hex")]), closed(1))).toEqual({ kind: "alert", alert: "protocol_version" });
  });

  test("a handshake our side gave up on is its own kind, never a refusal of our CA", () => {
    const f = classifyClientTlsFailure(complete(), { how: "closed", errorText: "error:10000410:SSL routines:OPENSSL_internal:UNSUPPORTED_PROTOCOL", msSinceHello: 2 });
    expect(f).toEqual({ kind: "tls-error", error: "unsupported_protocol" });
    expect(bypasses(f)).toBe(false);
    // Node's own close after our certificate carries no BoringSSL reason: still its refusal.
    const node = classifyClientTlsFailure(complete(), { how: "closed", errorText: "Client network socket disconnected before secure TLS connection was established", msSinceHello: 2 });
    expect(node.kind).toBe("closed-on-certificate");
  });

  test("every verdict reads as a sentence a person can act on", () => {
    expect(describeClientTlsFailure({ kind: "cert-rejected", alert: "unknown_ca" })).toBe("the client rejected our certificate (alert unknown_ca): it does not trust Halton Meter's CA");
    expect(describeClientTlsFailure({ kind: "abandoned", ms: 1300.4 })).toBe("the client closed the connection 1300 ms into the handshake (gave up or was interrupted)");
    expect(describeClientTlsFailure({ kind: "timeout", ms: 10_000 })).toBe("the client did not finish the TLS handshake within 10000 ms");
  });
});
