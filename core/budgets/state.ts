// The budgets in effect now, from the store: the spend of each budgeted period so far and each
// limit window's latest state, judged by evaluate.ts. The daemon runs this in its query worker;
// `limits`, `status` and `statusline` on their own read-only connection.

import { limitWindows, type Store } from "../store/index.ts";
import { type LimitsQuery, type LimitsReport, limitsReport } from "../limits/report.ts";
import { STALE_MS } from "../limits/view.ts";
import { SELF_TEST_PROVIDER } from "../usage/types.ts";
import { type BudgetPeriod, type BudgetsConfig, budgetStatus, type Crossing, periodStart, processOffset, type Spend, type UtcOffset, type WindowState } from "./evaluate.ts";

const PERIODS: Array<[BudgetPeriod, "daily_usd" | "weekly_usd" | "monthly_usd"]> = [
  ["day", "daily_usd"],
  ["week", "weekly_usd"],
  ["month", "monthly_usd"],
];

/** Whether the config asks anything of the budgets at all (nothing to read otherwise). */
export function budgetsSet(b: BudgetsConfig): boolean {
  return b.window_alerts.length > 0 || PERIODS.some(([, k]) => b[k] !== undefined || Object.values(b.projects).some((p) => p[k] !== undefined));
}

function spentSince(store: Store, since: number, project: string | null): number {
  const sql = `SELECT COALESCE(SUM(cost_micros), 0) AS micros FROM requests WHERE started_at >= ? AND provider != ?${project === null ? "" : " AND project = ?"}`;
  const params = project === null ? [since, SELF_TEST_PROVIDER] : [since, SELF_TEST_PROVIDER, project];
  return (store.db.query(sql).get(...params) as { micros: number }).micros;
}

/** The spend of every period a budget names, total and per budgeted project. */
export function budgetSpend(store: Store, b: BudgetsConfig, nowMs: number, offset: UtcOffset = processOffset): Spend[] {
  const out: Spend[] = [];
  for (const [period, key] of PERIODS) {
    const start = periodStart(period, nowMs, offset);
    if (b[key] !== undefined) out.push({ scope: "total", period, periodStart: start, costMicros: spentSince(store, start, null) });
    for (const [project, table] of Object.entries(b.projects)) {
      if (table[key] !== undefined) out.push({ scope: { project }, period, periodStart: start, costMicros: spentSince(store, start, project) });
    }
  }
  return out;
}

export function budgetWindows(store: Store, nowMs: number): WindowState[] {
  return limitWindows(store, { since: nowMs, seenSince: nowMs - STALE_MS }).map((w) => ({
    provider: w.provider,
    account: w.account,
    window: w.window,
    utilization: w.latest.utilization,
    resetsAt: w.latest.resetsAt,
  }));
}

/** Every budget alert in effect now; [] when no budget is set. */
export function budgetAlerts(store: Store, b: BudgetsConfig, nowMs: number, offset: UtcOffset = processOffset): Crossing[] {
  if (!budgetsSet(b)) return [];
  const windows = b.window_alerts.length > 0 ? budgetWindows(store, nowMs) : [];
  return budgetStatus(b, budgetSpend(store, b, nowMs, offset), windows, nowMs);
}

/** The limits report with the budget alerts in effect beside it: what `limits` and /v1/limits show. */
export function limitsWithAlerts(store: Store, b: BudgetsConfig, nowMs: number, q: LimitsQuery = {}): LimitsReport {
  const alerts = budgetAlerts(store, b, nowMs).map(({ kind, severity, message }) => ({ kind, severity, message }));
  return { ...limitsReport(store, nowMs, q), alerts };
}
