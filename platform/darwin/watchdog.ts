// The watchdog (seed 003, invariant 5): polls the daemon's /health; after N failures in a row
// in full mode it turns the system proxy off, so a broken meter leaves the Mac online. The
// decision is a pure function of (streak, probe); the loop around it owns the timer and I/O.

import type { EventLog } from "../../core/log/jsonl.ts";
import type { InstallMode, SystemProxy } from "../../core/service/supervisor.ts";

export interface Streak {
  failures: number;
  /** Set once this outage has been acted on: nothing more until the daemon answers again. */
  tripped: boolean;
}

export type WatchdogAction = "none" | "first-failure" | "trip" | "recovered";

export function observe(streak: Streak, healthy: boolean, failuresToTrip: number): { streak: Streak; action: WatchdogAction } {
  if (healthy) return { streak: { failures: 0, tripped: false }, action: streak.failures > 0 ? "recovered" : "none" };
  const failures = streak.failures + 1;
  if (!streak.tripped && failures >= failuresToTrip) return { streak: { failures, tripped: true }, action: "trip" };
  return { streak: { failures, tripped: streak.tripped }, action: failures === 1 ? "first-failure" : "none" };
}

export interface WatchdogDeps {
  /** One /health probe; `why` explains a failure. */
  probe(): Promise<{ ok: boolean; why?: string }>;
  /** Read on every trip: a mode changed by `init` meanwhile counts. */
  mode(): InstallMode | null;
  proxy: SystemProxy;
  /** Records that the watchdog turned the proxy off, so `start` turns it back on. */
  markProxyOff(detail: string): void;
  log: EventLog;
  intervalMs: number;
  failuresToTrip: number;
}

/** Runs until `signal` aborts; resolves after the loop has stopped. */
export async function runWatchdog(deps: WatchdogDeps, signal: AbortSignal): Promise<void> {
  let streak: Streak = { failures: 0, tripped: false };
  deps.log.event("watchdog.startup.ready", { interval_ms: deps.intervalMs, failures_to_trip: deps.failuresToTrip, mode: deps.mode() });
  while (!signal.aborted) {
    const health = await deps.probe();
    const next = observe(streak, health.ok, deps.failuresToTrip);
    streak = next.streak;
    if (next.action === "first-failure") deps.log.event("watchdog.health.failed", { why: health.why }, "warn");
    if (next.action === "recovered") deps.log.event("watchdog.health.recovered", {});
    // A failed attempt is tried again at the next failed probe.
    if (next.action === "trip" && !(await trip(deps, streak.failures, health.why))) streak = { ...streak, tripped: false };
    await pause(deps.intervalMs, signal);
  }
}

async function trip(deps: WatchdogDeps, failures: number, why: string | undefined): Promise<boolean> {
  const mode = deps.mode();
  if (mode !== "full") {
    deps.log.event("watchdog.daemon.down", { failures, why, mode, action: "none: the system proxy is only managed in full mode" }, "warn");
    return true;
  }
  try {
    const done = await deps.proxy.reset();
    deps.markProxyOff(`the watchdog turned the system proxy off at ${new Date().toISOString()} after ${failures} failed /health probes`);
    deps.log.event("watchdog.proxy.disabled", { failures, why, done }, "warn");
    return true;
  } catch (err) {
    deps.log.event("watchdog.proxy.disable_failed", { failures, reason: (err as Error).message }, "error");
    return false;
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
