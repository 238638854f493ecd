// Which budgets and limit windows are past their alert points, and which of those are news. Pure:
// the caller brings the spend per period (from the store), the windows' latest state and the
// clock; what to do about a crossing (a notification, a log line) is the caller's.

import type { Config } from "../config/schema.ts";
import { usd } from "../report/format.ts";
import type { BudgetPeriod } from "./period.ts";

export { type BudgetPeriod, periodStart, processOffset, type UtcOffset } from "./period.ts";

export type BudgetsConfig = Config["budgets"];

/** What was spent in one period so far, across all projects or in one. */
export interface Spend {
  scope: "total" | { project: string };
  period: BudgetPeriod;
  /** Epoch ms, as periodStart gives it. */
  periodStart: number;
  costMicros: number;
}

/** A provider limit window as last seen: utilization is the fraction used, 0..1. */
export interface WindowState {
  provider: string;
  account: string;
  window: string;
  utilization: number | null;
  /** Epoch ms. */
  resetsAt: number | null;
}

export interface Crossing {
  /**
   * Stable across calls while the same alert holds, new when anything that makes it a different
   * alert changes: the period, the budget, the window's reset, the threshold, the severity.
   */
  key: string;
  kind: "spend" | "window";
  severity: "warning" | "exceeded";
  /** One human line: "alpha: $5.12 of its $5.00 daily budget (102%)". */
  message: string;
  /** Micro-dollars spent, or the window's utilization. */
  value: number;
  /** The budget in micro-dollars, or the threshold reached (1 when exceeded). */
  limit: number;
}

/** A USD budget warns once this share of it is spent (4/5), and is exceeded at all of it. */
const WARN_NUMERATOR = 4;
const WARN_DENOMINATOR = 5;

const BUDGET_KEY = { day: "daily_usd", week: "weekly_usd", month: "monthly_usd" } as const;
const ADJECTIVE = { day: "daily", week: "weekly", month: "monthly" } as const;

/** A budget from the config (US dollars) in whole micro-dollars. */
export function budgetMicros(dollars: number): number {
  return Math.round(dollars * 1e6);
}

/**
 * Every alert in effect: for each spend that has a budget, and for each window when window_alerts
 * lists thresholds, the highest one reached (a window at 97% with alerts at 0.8 and 0.95 is one
 * crossing, at 0.95, not two). Windows at 100% or more are "exceeded" whatever the thresholds.
 * With `now`, a window whose reset time has passed is skipped: its utilization is of a window
 * that has ended.
 */
export function budgetStatus(budgets: BudgetsConfig, spend: readonly Spend[], windows: readonly WindowState[], now?: number): Crossing[] {
  const out: Crossing[] = [];
  for (const s of spend) {
    const c = spendCrossing(budgets, s);
    if (c) out.push(c);
  }
  for (const w of windows) {
    if (now !== undefined && w.resetsAt !== null && w.resetsAt <= now) continue;
    const c = windowCrossing(budgets.window_alerts, w);
    if (c) out.push(c);
  }
  return out;
}

/** The crossings whose keys have not been notified yet, each key once. */
export function newCrossings(now: readonly Crossing[], alreadyNotified: ReadonlySet<string>): Crossing[] {
  const seen = new Set<string>();
  return now.filter((c) => {
    if (alreadyNotified.has(c.key) || seen.has(c.key)) return false;
    seen.add(c.key);
    return true;
  });
}

function spendCrossing(budgets: BudgetsConfig, s: Spend): Crossing | null {
  const project = s.scope === "total" ? null : s.scope.project;
  // Own keys only: a project called "constructor" has no budget unless the file gives it one.
  const table = project === null ? budgets : Object.hasOwn(budgets.projects, project) ? budgets.projects[project] : undefined;
  const dollars = table?.[BUDGET_KEY[s.period]];
  if (dollars === undefined) return null;
  const limit = budgetMicros(dollars);
  // Integer comparisons: 80% of a budget in micros is exact, 0.8 × micros is not.
  const severity = s.costMicros >= limit ? "exceeded" : s.costMicros * WARN_DENOMINATOR >= limit * WARN_NUMERATOR ? "warning" : null;
  if (severity === null) return null;
  // Rounded down, so a warning never reads "100%".
  const pct = Math.floor((s.costMicros * 100) / limit);
  const message = project === null
    ? `All projects: ${usd(s.costMicros)} of the ${usd(limit)} ${ADJECTIVE[s.period]} budget (${pct}%)`
    : `${project}: ${usd(s.costMicros)} of its ${usd(limit)} ${ADJECTIVE[s.period]} budget (${pct}%)`;
  const scope = project === null ? "total" : `project:${project}`;
  return { key: `spend:${scope}:${s.period}:${s.periodStart}:${limit}:${severity}`, kind: "spend", severity, message, value: s.costMicros, limit };
}

function windowCrossing(thresholds: readonly number[], w: WindowState): Crossing | null {
  const u = w.utilization;
  if (thresholds.length === 0 || u === null || !Number.isFinite(u)) return null;
  const reached = u >= 1 ? 1 : Math.max(0, ...thresholds.filter((t) => u >= t));
  if (reached === 0) return null;
  const severity = reached >= 1 ? "exceeded" : "warning";
  const name = `${w.provider} ${w.window} limit`;
  const message = severity === "exceeded" ? `${name} reached (${percentUsed(u)} used)` : `${name}: ${percentUsed(u)} used (alert at ${thresholdPercent(reached)})`;
  const key = `window:${w.provider}:${w.account}:${w.window}:${w.resetsAt ?? "no-reset"}:${reached}`;
  return { key, kind: "window", severity, message, value: u, limit: reached };
}

/** Rounded down (0.999 is "99%", not "100%"); the epsilon keeps 0.29 from reading "28%". */
function percentUsed(u: number): string {
  return `${Math.floor(u * 100 + 1e-9)}%`;
}

/** "80%", "95.5%". */
function thresholdPercent(t: number): string {
  return `${Number((t * 100).toFixed(1))}%`;
}
