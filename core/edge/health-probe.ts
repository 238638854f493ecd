// Asks the daemon's API `GET /health` (over a raw loopback socket: see loopback-get.ts). Only
// "is it ok" matters here; the body is judged by the same reader as the CLI's (core/api/health.ts),
// as soon as it is whole.

import { parsePartialHealth } from "../api/health.ts";
import { loopbackGet } from "../proxy/loopback-get.ts";

export type ProbeVerdict = { healthy: true } | { healthy: false; why: "refused" | "timeout" | "bad-answer" | "error" };

export async function probeHealth(port: number, timeoutMs: number, host = "127.0.0.1"): Promise<ProbeVerdict> {
  const r = await loopbackGet(port, "/health", { timeoutMs, host, maxBytes: 8192 }, (status, body, closed) => {
    if (status !== 200) return false;
    return parsePartialHealth(body.toString("utf8"), closed)?.ok;
  });
  if (r.ok) return r.value ? { healthy: true } : { healthy: false, why: "bad-answer" };
  return { healthy: false, why: r.failure === "closed" ? "bad-answer" : r.failure };
}
