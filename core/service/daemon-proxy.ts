// The daemon's share of the system proxy in full mode (seed 003, invariants 5 and 7). At startup
// it turns back on what the watchdog, or its own last exit, turned off; at exit (`stop`, logout,
// reboot: launchd's SIGTERM with ExitTimeOut=30) it turns it off, so the Mac is never left
// pointing at a meter that is gone. Off means reset, not restore: the snapshot and the
// proxy-managed sentinel stay, which is what lets the next start turn it on again.
// Only where a system proxy exists, in full mode, with the sentinel present. Both steps are
// bounded and never throw: a networksetup that hangs or refuses is logged, not fatal.

import type { EventLog } from "../log/jsonl.ts";
import type { Sentinels } from "./sentinels.ts";
import type { SystemProxy } from "./supervisor.ts";

export interface DaemonProxyDeps {
  /** Null where there is none (Linux). */
  proxy: SystemProxy | null;
  /** Read at each step: `init` may change the mode while the daemon runs. */
  sentinels: () => Sentinels;
  log: EventLog;
  /** Each step gives up after this long; launchd's SIGKILL comes 30 s after its SIGTERM. */
  budgetMs: number;
}

const ours = (deps: DaemonProxyDeps): SystemProxy | null => {
  const s = deps.sentinels();
  return s.mode === "full" && s.proxyManaged ? deps.proxy : null;
};

/** Call once the API answers /health. */
export async function proxyOnAtStartup(deps: DaemonProxyDeps, edgePort: number): Promise<void> {
  const proxy = ours(deps);
  if (!proxy) return;
  const r = await bounded(deps.budgetMs, async () => {
    await proxy.enable(edgePort);
  });
  if (r.ok) deps.log.event("daemon.proxy.enabled", { edge_port: edgePort });
  else deps.log.event("daemon.proxy.enable_failed", { edge_port: edgePort, reason: r.reason }, "error");
}

/** Call on SIGTERM/SIGINT, alongside the drain; `startup` is proxyOnAtStartup's promise, so the two never overlap. */
export async function proxyOffAtExit(deps: DaemonProxyDeps, signal: string, startup: Promise<void>): Promise<void> {
  await startup;
  const proxy = ours(deps);
  if (!proxy) return;
  const r = await bounded(deps.budgetMs, () => proxy.reset());
  if (r.ok) deps.log.event("daemon.proxy.disabled", { signal, done: r.value });
  else deps.log.event("daemon.proxy.disable_failed", { signal, reason: r.reason }, "error");
}

type Bounded<T> = { ok: true; value: T } | { ok: false; reason: string };

async function bounded<T>(budgetMs: number, fn: () => Promise<T>): Promise<Bounded<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<Bounded<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `the system proxy did not answer within ${budgetMs} ms` }), budgetMs);
  });
  const work = fn().then(
    (value): Bounded<T> => ({ ok: true, value }),
    (err: unknown): Bounded<T> => ({ ok: false, reason: err instanceof Error ? err.message : String(err) }),
  );
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
