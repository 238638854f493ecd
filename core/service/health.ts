// The daemon's `GET /health` answer, read over a raw loopback socket (see core/proxy/loopback-get.ts)
// and judged by the one /health reader (core/api/health.ts).

import { parsePartialHealth, type Health } from "../api/health.ts";
import { loopbackGet } from "../proxy/loopback-get.ts";

export type HealthResult = { ok: true; answer: Health } | { ok: false; why: string };

export async function fetchHealth(port: number, timeoutMs = 1000): Promise<HealthResult> {
  const r = await loopbackGet<HealthResult>(port, "/health", { timeoutMs }, (status, body, closed) => {
    if (status !== 200) return { ok: false, why: `/health answered ${status}` };
    const read = parsePartialHealth(body.toString("utf8"), closed);
    return read && (read.ok ? { ok: true, answer: read.health } : { ok: false, why: read.why });
  });
  if (r.ok) return r.value;
  if (r.failure === "refused") return { ok: false, why: `nothing listens on 127.0.0.1:${port} (daemon not running)` };
  if (r.failure === "bad-answer") return { ok: false, why: `127.0.0.1:${port} is not the daemon's API (${r.message})` };
  return { ok: false, why: r.message };
}

/** Polls /health every `intervalMs` until it answers or `timeoutMs` passes (seed 001: 500 ms, 30 s). */
export async function waitHealthy(port: number, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<HealthResult> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const r = await fetchHealth(port);
    if (r.ok || Date.now() + (opts.intervalMs ?? 500) > deadline) return r;
    await Bun.sleep(opts.intervalMs ?? 500);
  }
}
