// The edge's view of the daemon: a cached, asymmetric health verdict (seed 003).
// Pure: the caller supplies the clock and does the probing.

export type Health = "unknown" | "healthy" | "unhealthy";

export interface HealthCache {
  health: Health;
  /** Epoch ms after which the verdict must be probed again. */
  expiresAt: number;
}

export const UNHEALTHY_TTL_MS = 200;

export const initialHealth = (): HealthCache => ({ health: "unknown", expiresAt: 0 });

export function isFresh(cache: HealthCache, now: number): boolean {
  return cache.health !== "unknown" && now < cache.expiresAt;
}

/** Records a probe's answer: healthy verdicts live `healthyTtlMs`, unhealthy ones 200 ms. */
export function recordProbe(healthy: boolean, now: number, healthyTtlMs: number): HealthCache {
  return healthy ? { health: "healthy", expiresAt: now + healthyTtlMs } : { health: "unhealthy", expiresAt: now + UNHEALTHY_TTL_MS };
}

/** A refused connection to the daemon means the cached "healthy" lied: forget it at once. */
export function invalidate(now: number): HealthCache {
  return { health: "unhealthy", expiresAt: now + UNHEALTHY_TTL_MS };
}
