// What the hostile corpus reads answers with (their status line and body), and hostile bytes inside
// TLS after a CONNECT (tests/hostile/_tls-client.mjs under Node). Raw TCP is tests/harness/client.ts.

import { join } from "node:path";

/** The status line of an answer, or "" when none came. */
export function statusLine(b: Buffer): string {
  const s = b.toString("latin1");
  const i = s.indexOf("\r\n");
  return i < 0 ? s : s.slice(0, i);
}

/** The body of an answer (after the blank line), decoded as UTF-8. */
export function bodyOf(b: Buffer): string {
  const i = b.indexOf("\r\n\r\n");
  return i < 0 ? "" : b.subarray(i + 4).toString("utf8");
}

export type TlsStep = { send: string | Uint8Array } | { until: string } | { waitMs: number } | { untilLength: number };

export interface TlsCase {
  name: string;
  port: number;
  steps: TlsStep[];
  /** No TLS: the steps' bytes follow the CONNECT as they are. */
  raw?: boolean;
  /** The SNI to send (api.anthropic.com by default). */
  servername?: string;
  /** "close" (default): wait for the daemon to end the connection; "abort": leave after the steps. */
  after?: "close" | "abort";
  timeoutMs?: number;
}

export interface TlsOutcome {
  name: string;
  /** Everything the client received: its length and hash; `head` is its first 256 KiB. */
  length: number;
  sha256: string;
  head: Buffer;
  closed: boolean;
  timedOut?: boolean;
  aborted?: boolean;
  /** The server closed by resetting the connection. */
  reset?: boolean;
  error?: string;
}

const CLIENT = join(import.meta.dir, "_tls-client.mjs");

/** Runs the cases one after another in one Node process; one outcome per case, in order. */
export async function runTlsCases(caPath: string, cases: TlsCase[]): Promise<TlsOutcome[]> {
  const wire = cases.map((c) => ({
    ...c,
    ca: caPath,
    steps: c.steps.map((s) => ("send" in s ? { send: Buffer.from(typeof s.send === "string" ? Buffer.from(s.send, "latin1") : s.send).toString("base64") } : s)),
  }));
  const p = Bun.spawn(["node", CLIENT], { stdin: Buffer.from(JSON.stringify(wire)), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`the TLS client exited ${code}: ${err}`);
  return out
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const o = JSON.parse(l) as Omit<TlsOutcome, "head"> & { head: string };
      return { ...o, head: Buffer.from(o.head, "base64") };
    });
}
