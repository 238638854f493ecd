// Asks the daemon's API `GET /health` (over a raw loopback socket: see loopback-get.ts). Only
// "is it ok" matters here; the body is judged by the same reader as the CLI's (core/api/health.ts),
// as soon as it is whole.

import { parsePartialHealth } from "../api/health.ts";
import type { EventLog } from "../log/jsonl.ts";
import { type HealthCache, initialHealth, invalidate, isFresh, recordProbe } from "../proxy/health-cache.ts";
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

/**
 * The edge's view of the daemon: the cached verdict (health-cache.ts), at most one probe in
 * flight however many connections ask, and a log line whenever the verdict changes.
 */
export class DaemonHealth {
  private cache = initialHealth();
  private probing: Promise<boolean> | null = null;

  constructor(
    private readonly o: { apiPort: () => number; probeTimeoutMs: number; healthyTtlMs: number; now: () => number; log: EventLog },
  ) {}

  get current(): HealthCache {
    return this.cache;
  }

  healthy(): Promise<boolean> {
    if (isFresh(this.cache, this.o.now())) return Promise.resolve(this.cache.health === "healthy");
    // Whatever happens to this probe, the next question may ask again: a stuck `probing` would keep metering off for good.
    this.probing ??= probeHealth(this.o.apiPort(), this.o.probeTimeoutMs)
      .then((verdict) => {
        this.set(recordProbe(verdict.healthy, this.o.now(), this.o.healthyTtlMs), verdict.healthy ? "probe" : verdict.why);
        return verdict.healthy;
      })
      .finally(() => {
        this.probing = null;
      });
    return this.probing;
  }

  /** A chain that failed: the cached "healthy" lied. */
  invalidate(why: string): void {
    this.set(invalidate(this.o.now()), why);
  }

  /** New ports: nothing known about the daemon behind them yet. */
  reset(): void {
    this.cache = initialHealth();
  }

  private set(next: HealthCache, why: string): void {
    if (next.health !== this.cache.health) this.o.log.event("edge.health.changed", { from: this.cache.health, to: next.health, why });
    this.cache = next;
  }
}
