// The daemon's eye on the budgets: a minute after the last look, or a few seconds after new rows
// are committed, it asks (off the event loop, in the query worker) which alerts are in effect,
// and logs and notifies each one once. Budgets warn; nothing here touches a request.

import { readFileSync } from "node:fs";
import type { EventLog } from "../log/jsonl.ts";
import { realTimers, type Timers } from "../time/timers.ts";
import { type Crossing, newCrossings } from "./evaluate.ts";
import type { Notifier } from "./notify.ts";

export interface BudgetWatchDeps {
  /** The alerts in effect now (the query worker's budgetAlerts). */
  check(): Promise<Crossing[]>;
  /** Desktop notifications; null when `[budgets] notify = false`. */
  notifier: Notifier | null;
  log: EventLog;
  /** Where the keys already notified are kept across restarts (budget-alerts.json). */
  file: string;
  /** Writes the file without holding the loop (Bun.write by default). */
  write?: (file: string, text: string) => Promise<unknown>;
  timers?: Timers;
  /** Between two looks when nothing new comes. Default 60 s. */
  everyMs?: number;
  /** The least time between two looks. Default 5 s. */
  minGapMs?: number;
}

export interface BudgetWatch {
  /** New rows were committed: look again soon. */
  poke(): void;
  /** One look now (tests); resolves when it is done. */
  look(): Promise<void>;
  stop(): void;
}

/** Keys notified before, from the file; a missing or unreadable one is a fresh start. */
function loadNotified(file: string): Set<string> {
  try {
    const keys = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return new Set(Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : []);
  } catch {
    return new Set();
  }
}

export function watchBudgets(deps: BudgetWatchDeps): BudgetWatch {
  const timers = deps.timers ?? realTimers({ unref: true });
  const everyMs = deps.everyMs ?? 60_000;
  const minGapMs = deps.minGapMs ?? 5_000;
  const write = deps.write ?? ((file: string, text: string) => Bun.write(file, text));
  // Read once at start-up, before the proxy takes traffic.
  let notified = loadNotified(deps.file);
  let timer: unknown = null;
  /** The pending timer is a poke's (due within minGapMs): another poke leaves it be. */
  let soon = false;
  /** Rows came while a look was running: the next look comes soon, not in a minute. */
  let again = false;
  let running: Promise<void> | null = null;
  let stopped = false;

  async function once(): Promise<void> {
    let current: Crossing[];
    try {
      current = await deps.check();
    } catch (err) {
      deps.log.event("budget.check_failed", { reason: (err as Error).message }, "warn");
      return;
    }
    const fresh = newCrossings(current, notified);
    deps.log.event("budget.checked", { in_effect: current.length, new: fresh.length }, "debug");
    for (const c of fresh) {
      deps.log.event("budget.alert", { key: c.key, kind: c.kind, severity: c.severity, message: c.message }, "warn");
      await deps.notifier?.notify(c.severity === "exceeded" ? "Halton Meter: budget exceeded" : "Halton Meter: budget warning", c.message);
    }
    // Every alert in effect has been told now; only those are remembered, so the file stays as
    // small as the config.
    const keep = new Set(current.map((c) => c.key));
    const changed = keep.size !== notified.size || [...keep].some((k) => !notified.has(k));
    notified = keep;
    if (changed) {
      try {
        await write(deps.file, `${JSON.stringify([...keep])}\n`);
      } catch (err) {
        deps.log.event("budget.check_failed", { reason: `cannot write ${deps.file}: ${(err as Error).message}` }, "warn");
      }
    }
  }

  function schedule(ms: number, isSoon: boolean): void {
    if (stopped) return;
    if (timer !== null) timers.clearTimeout(timer);
    soon = isSoon;
    timer = timers.setTimeout(() => {
      timer = null;
      void look();
    }, ms);
  }

  function look(): Promise<void> {
    running ??= once().finally(() => {
      running = null;
      schedule(again ? minGapMs : everyMs, again);
      again = false;
    });
    return running;
  }

  schedule(0, true);
  return {
    poke: () => {
      if (running !== null) again = true;
      else if (!soon) schedule(minGapMs, true);
    },
    look,
    stop: () => {
      stopped = true;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
    },
  };
}
