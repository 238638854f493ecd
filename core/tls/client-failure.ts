// Why a client's TLS handshake with our leaf failed, as one closed set, and whether that means
// "this client does not trust our CA" (bypass its host) or "this client went away" (do not).
// Pure: the shell feeds the raw bytes the client sent and says how the connection ended.
//
// Measured on Bun 1.4.4 with real clients (tests/daemon/tls-failures.test.ts):
// - curl and Python send a plaintext fatal alert (unknown_ca) after our certificate, then FIN;
// - Node (Claude Code, Gemini CLI) sends no alert at all: it closes (FIN) within milliseconds of
//   reading our certificate, which Bun reports like any other close mid-handshake;
// - a reset is a reset; a client that stalls is caught by the head timeout.
// So a close without an alert counts as a rejection only when it follows a complete ClientHello
// closely (the client read our certificate and left at once), never when it is late or early.

/** Fatal alerts (RFC 8446 6.2) that speak of the certificate we sent. */
const CERT_ALERTS: Record<number, string> = {
  42: "bad_certificate",
  43: "unsupported_certificate",
  44: "certificate_revoked",
  45: "certificate_expired",
  46: "certificate_unknown",
  48: "unknown_ca",
  49: "access_denied",
};
const OTHER_ALERTS: Record<number, string> = { 0: "close_notify", 40: "handshake_failure", 47: "illegal_parameter", 50: "decode_error", 51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled", 109: "missing_extension", 110: "unsupported_extension", 112: "unrecognized_name", 120: "no_application_protocol" };
const CERT_ALERT_TEXT = /ALERT_(BAD_CERTIFICATE|UNSUPPORTED_CERTIFICATE|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|CERTIFICATE_UNKNOWN|UNKNOWN_CA|ACCESS_DENIED)/i;

/** How long after its complete ClientHello a close without an alert still reads as a rejection. */
export const REJECT_WINDOW_MS = 1000;

export type ClientTlsFailure =
  | { kind: "cert-rejected"; alert: string }
  | { kind: "closed-on-certificate"; ms: number }
  | { kind: "alert"; alert: string }
  | { kind: "reset" }
  | { kind: "timeout"; ms: number }
  | { kind: "closed-early" }
  | { kind: "abandoned"; ms: number }
  | { kind: "not-tls" }
  /** The client asked (SNI) for a name our CA may not sign for. */
  | { kind: "sni-refused"; name: string; error: string }
  /** Our side could not complete the handshake (an SNI we refuse, a protocol we do not speak). */
  | { kind: "tls-error"; error: string };

/** Only a client that refused our certificate is sent around the meter for a while. */
export const bypasses = (f: ClientTlsFailure): boolean => f.kind === "cert-rejected" || f.kind === "closed-on-certificate";

export function describeClientTlsFailure(f: ClientTlsFailure): string {
  switch (f.kind) {
    case "cert-rejected":
      return `the client rejected our certificate (alert ${f.alert}): it does not trust Halton Meter's CA`;
    case "closed-on-certificate":
      return `the client closed the connection ${Math.round(f.ms)} ms after our certificate, without a word: it does not trust Halton Meter's CA (Node does this)`;
    case "alert":
      return `the client ended the handshake with alert ${f.alert}`;
    case "reset":
      return "the client reset the connection during the TLS handshake";
    case "timeout":
      return `the client did not finish the TLS handshake within ${f.ms} ms`;
    case "closed-early":
      return "the client closed the connection before its ClientHello was complete";
    case "abandoned":
      return `the client closed the connection ${Math.round(f.ms)} ms into the handshake (gave up or was interrupted)`;
    case "not-tls":
      return "the client did not speak TLS after CONNECT";
    case "sni-refused":
      return `the client asked for ${f.name}, which Halton Meter does not decrypt: ${f.error}`;
    case "tls-error":
      return `Halton Meter could not complete TLS with the client (${f.error}): an SNI it does not decrypt, or a protocol it does not speak`;
  }
}

/** What the client's plaintext records said: a complete ClientHello, a first alert. Bounded. */
export interface HandshakeWatch {
  /** Handshake-record bytes of the first message, until its length is known to be in. */
  hello: Buffer;
  helloComplete: boolean;
  alert: number | null;
  notTls: boolean;
  /** Bytes of an unfinished record header or alert carried to the next chunk. */
  carry: Buffer;
  /** Bytes of the current record's payload still to skip. */
  skip: number;
  /** Encrypted records began: nothing after is readable, so the watch stops. */
  opaque: boolean;
}

export const newWatch = (): HandshakeWatch => ({ hello: Buffer.alloc(0), helloComplete: false, alert: null, notTls: false, carry: Buffer.alloc(0), skip: 0, opaque: false });

const MAX_HELLO = 64 * 1024;

/** Feeds bytes the client sent (ciphertext to us, but its first records are plaintext). */
export function watchBytes(w: HandshakeWatch, chunk: Uint8Array): HandshakeWatch {
  if (w.opaque || w.notTls || w.alert !== null) return w;
  let buf = w.carry.length ? Buffer.concat([w.carry, chunk]) : Buffer.from(chunk);
  let { hello, helloComplete, skip } = w;
  while (buf.length > 0) {
    if (skip > 0) {
      const n = Math.min(skip, buf.length);
      skip -= n;
      buf = buf.subarray(n);
      continue;
    }
    if (buf.length < 5) break;
    const type = buf[0]!;
    const len = buf.readUInt16BE(3);
    if (type === 0x15) {
      if (buf.length < 7) break;
      return { ...w, hello, helloComplete, alert: buf[6]!, carry: Buffer.alloc(0), skip: 0 };
    }
    if (type === 0x17) return { ...w, hello, helloComplete, opaque: true, carry: Buffer.alloc(0), skip: 0 };
    // A record type TLS does not have: before any handshake byte, this is not TLS; after, unreadable.
    if (type !== 0x16 && type !== 0x14) {
      const notTls = !helloComplete && hello.length === 0;
      return { ...w, hello: helloComplete ? Buffer.alloc(0) : hello, helloComplete, notTls, opaque: !notTls, carry: Buffer.alloc(0), skip: 0 };
    }
    if (type === 0x16 && !helloComplete) {
      // A ClientHello record is read whole (at most 64 KiB + 5): wait for the rest of it.
      if (buf.length < 5 + len) break;
      if (hello.length < MAX_HELLO) hello = Buffer.concat([hello, buf.subarray(5, 5 + len)]);
      // Handshake message: type (1 = ClientHello) and a 24-bit length.
      if (hello.length >= 4 && hello.length >= 4 + hello.readUIntBE(1, 3)) helloComplete = hello[0] === 1;
    }
    skip = 5 + len - Math.min(buf.length, 5 + len);
    buf = buf.subarray(Math.min(buf.length, 5 + len));
  }
  return { ...w, hello: helloComplete ? Buffer.alloc(0) : hello, helloComplete, skip, carry: Buffer.from(buf) };
}

export interface HandshakeEnd {
  /** How the connection ended: a close (FIN or a handshake error), a reset, our own deadline. */
  how: "closed" | "reset" | "timeout";
  /** Bun's handshake error text, if it gave one (it names alerts it decrypted itself). */
  errorText: string | null;
  /** Milliseconds from the complete ClientHello to the end; null when it never completed. */
  msSinceHello: number | null;
  /** The deadline, for `timeout`. */
  timeoutMs?: number;
}

export function classifyClientTlsFailure(w: HandshakeWatch, end: HandshakeEnd): ClientTlsFailure {
  const alert = w.alert;
  if (alert !== null && CERT_ALERTS[alert]) return { kind: "cert-rejected", alert: CERT_ALERTS[alert]! };
  const named = end.errorText?.match(CERT_ALERT_TEXT);
  if (named) return { kind: "cert-rejected", alert: named[1]!.toLowerCase() };
  if (alert !== null) return { kind: "alert", alert: OTHER_ALERTS[alert] ?? `#${alert}` };
  if (end.how === "timeout") return { kind: "timeout", ms: end.timeoutMs ?? 0 };
  if (end.how === "reset") return { kind: "reset" };
  if (w.notTls) return { kind: "not-tls" };
  // BoringSSL's own reason ("error:...:SSL routines:...:UNSUPPORTED_PROTOCOL"): our side gave up.
  const ours = end.errorText?.match(/^error:[0-9a-f]+:SSL routines:[^:]*:(\w+)/i);
  if (ours) return { kind: "tls-error", error: ours[1]!.toLowerCase() };
  if (!w.helloComplete || end.msSinceHello === null) return { kind: "closed-early" };
  if (end.msSinceHello <= REJECT_WINDOW_MS) return { kind: "closed-on-certificate", ms: end.msSinceHello };
  return { kind: "abandoned", ms: end.msSinceHello };
}
