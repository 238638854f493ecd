// PROXY protocol v1 (the text form HAProxy defined): how the edge tells the daemon who the
// client is when it chains a connection. One line before the client's own bytes:
//   PROXY TCP4 <client addr> <edge addr> <client port> <edge port>\r\n

export interface ProxiedAddress {
  family: "TCP4" | "TCP6";
  sourceAddress: string;
  sourcePort: number;
  destAddress: string;
  destPort: number;
}

const MAX_LINE = 107; // the spec's limit, CRLF included

export function renderProxyLine(a: ProxiedAddress): string {
  return `PROXY ${a.family} ${a.sourceAddress} ${a.destAddress} ${a.sourcePort} ${a.destPort}\r\n`;
}

export function proxyLineFor(sourceAddress: string, sourcePort: number, destAddress: string, destPort: number): string {
  const family = sourceAddress.includes(":") && !sourceAddress.startsWith("::ffff:") ? "TCP6" : "TCP4";
  const strip = (a: string) => (family === "TCP4" ? a.replace(/^::ffff:/, "") : a);
  return renderProxyLine({ family, sourceAddress: strip(sourceAddress), sourcePort, destAddress: strip(destAddress), destPort });
}

export type ProxyLineResult =
  | { kind: "absent" }
  | { kind: "incomplete" }
  | { kind: "invalid"; reason: string }
  | { kind: "ok"; address: ProxiedAddress | null; length: number };

const PREFIX = "PROXY ";

/** Parses an optional PROXY v1 line at the start of a connection. `address` is null for "PROXY UNKNOWN". */
export function parseProxyLine(buf: Uint8Array): ProxyLineResult {
  const n = Math.min(buf.length, PREFIX.length);
  for (let i = 0; i < n; i++) if (buf[i] !== PREFIX.charCodeAt(i)) return { kind: "absent" };
  if (buf.length < PREFIX.length) return { kind: "incomplete" };
  let end = -1;
  for (let i = PREFIX.length; i < Math.min(buf.length, MAX_LINE); i++) {
    if (buf[i] === 10) {
      end = i;
      break;
    }
  }
  if (end < 0) return buf.length >= MAX_LINE ? { kind: "invalid", reason: "PROXY line too long" } : { kind: "incomplete" };
  if (buf[end - 1] !== 13) return { kind: "invalid", reason: "PROXY line must end in CRLF" };
  const line = Buffer.from(buf.subarray(0, end - 1)).toString("latin1");
  const parts = line.split(" ");
  if (parts[1] === "UNKNOWN") return { kind: "ok", address: null, length: end + 1 };
  if (parts.length !== 6 || (parts[1] !== "TCP4" && parts[1] !== "TCP6")) return { kind: "invalid", reason: "malformed PROXY line" };
  const digits = (t: string | undefined) => (t !== undefined && /^\d{1,5}$/.test(t) ? Number(t) : -1);
  const sourcePort = digits(parts[4]);
  const destPort = digits(parts[5]);
  const portOk = (p: number) => p >= 0 && p <= 65535;
  if (!portOk(sourcePort) || !portOk(destPort)) return { kind: "invalid", reason: "bad port in PROXY line" };
  return {
    kind: "ok",
    address: { family: parts[1], sourceAddress: parts[2]!, destAddress: parts[3]!, sourcePort, destPort },
    length: end + 1,
  };
}
