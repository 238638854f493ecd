// The budgets' inputs from a real store: what each budgeted period spent so far (total and per
// project, the self-test left out), the windows' latest state, and the alerts that follow.

import { describe, expect, test } from "bun:test";
import { budgetAlerts, budgetSpend, budgetsSet, limitsWithAlerts } from "../../core/budgets/state.ts";
import { defaultConfig } from "../../core/config/index.ts";
import { insertRows, openStore } from "../../core/store/index.ts";
import { makeRow } from "../store/_fixtures.ts";

const HOUR = 3_600_000;
const UTC = () => 0;
/** Wednesday 2026-12-02 12:00 UTC. */
const NOW = Date.UTC(2026, 11, 2, 12);

const budgets = (over: Partial<ReturnType<typeof defaultConfig>["budgets"]>) => ({ ...defaultConfig().budgets, ...over });

function seeded() {
  const store = openStore(":memory:");
  insertRows(store, [
    makeRow(1, { startedAt: NOW - 1 * HOUR, costMicros: 1_000_000, project: "alpha" }), // today
    makeRow(2, { startedAt: NOW - 30 * HOUR, costMicros: 2_000_000, project: "beta" }), // Tuesday the 1st: this week, this month
    makeRow(3, { startedAt: NOW - 50 * HOUR, costMicros: 4_000_000, project: "alpha" }), // Monday the 30th: this week, last month
    makeRow(4, { startedAt: NOW - 40 * 24 * HOUR, costMicros: 8_000_000, project: "alpha" }), // another month
    makeRow(5, { startedAt: NOW - HOUR, costMicros: 16_000_000, provider: "halton-meter", project: "alpha" }), // the self-test
    makeRow(6, { startedAt: NOW - HOUR, costMicros: null, priceStatus: "unpriced", project: "alpha" }),
    makeRow(7, {
      startedAt: NOW - HOUR, account: "acct", costMicros: 0,
      limits: [{ provider: "anthropic", window: "5h", kind: "subscription", utilization: 0.91, limit: null, remaining: null, resetsAt: NOW + HOUR, windowMinutes: null, status: "allowed", observedAt: NOW - HOUR }],
    }),
  ]);
  return store;
}

describe("budget state from the store", () => {
  test("each budgeted period's spend, total and per project, without the self-test", () => {
    const store = seeded();
    const b = budgets({ daily_usd: 1, weekly_usd: 10, monthly_usd: 100, projects: { alpha: { daily_usd: 1, monthly_usd: 3 } } });
    const spend = budgetSpend(store, b, NOW, UTC).map((s) => [typeof s.scope === "string" ? s.scope : s.scope.project, s.period, s.costMicros]);
    expect(spend).toEqual([
      ["total", "day", 1_000_000],
      ["alpha", "day", 1_000_000],
      ["total", "week", 7_000_000],
      ["total", "month", 3_000_000],
      ["alpha", "month", 1_000_000],
    ]);
    store.close();
  });

  test("the alerts: a project over its month, the total at its daily limit, a window past its alert", () => {
    const store = seeded();
    const b = budgets({ daily_usd: 1, window_alerts: [0.9], projects: { alpha: { monthly_usd: 1 } } });
    const alerts = budgetAlerts(store, b, NOW, UTC);
    expect(alerts.map((a) => [a.kind, a.severity])).toEqual([
      ["spend", "exceeded"],
      ["spend", "exceeded"],
      ["window", "warning"],
    ]);
    expect(alerts.map((a) => a.message)).toContain("anthropic 5h limit: 91% used (alert at 90%)");
    expect(limitsWithAlerts(store, b, NOW).alerts).toHaveLength(3);
    store.close();
  });

  test("nothing set is nothing read: no alerts, whatever was spent", () => {
    const store = seeded();
    expect(budgetsSet(defaultConfig().budgets)).toBe(false);
    expect(budgetsSet(budgets({ projects: { alpha: { weekly_usd: 5 } } }))).toBe(true);
    expect(budgetAlerts(store, defaultConfig().budgets, NOW)).toEqual([]);
    store.close();
  });
});
