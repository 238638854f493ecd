// Asks the daemon's API `GET /health` (over a raw loopback socket: see loopback-get.ts). Only
// "is it ok" matters here, so the answer is judged as soon as `"status":"ok"` is in.

import { loopbackGet } from "../proxy/loopback-get.ts";

export type ProbeVerdict = { healthy: true } | { healthy: false; why: "refused" | "timeout" | "bad-answer" | "error" };

export async function probeHealth(port: number, timeoutMs: number, host = "127.0.0.1"): Promise<ProbeVerdict> {
  const r = await loopbackGet(port, "/health", { timeoutMs, host, maxBytes: 8192 }, (status, body) => {
    if (status !== 200) return false;
    return /"status"\s*:\s*"ok"/.test(body.toString("utf8")) ? true : undefined;
  });
  if (r.ok) return r.value ? { healthy: true } : { healthy: false, why: "bad-answer" };
  return { healthy: false, why: r.failure === "closed" ? "bad-answer" : r.failure };
}
