import { describe, expect, test } from "bun:test";
import { type BudgetsConfig, budgetMicros, budgetStatus, type Crossing, newCrossings, type Spend, type WindowState } from "../../core/budgets/evaluate.ts";
import { defaultConfig } from "../../core/config/index.ts";

// Spend against USD budgets and limit windows against alert thresholds, in integer micro-dollars.

const DAY_START = Date.parse("2026-06-10T00:00:00Z");
const budgets = (over: Partial<BudgetsConfig>): BudgetsConfig => ({ ...defaultConfig().budgets, ...over });
const total = (period: Spend["period"], dollars: number): Spend => ({ scope: "total", period, periodStart: DAY_START, costMicros: budgetMicros(dollars) });
const project = (name: string, period: Spend["period"], costMicros: number): Spend => ({ scope: { project: name }, period, periodStart: DAY_START, costMicros });
const window = (utilization: number | null, over: Partial<WindowState> = {}): WindowState => ({ provider: "anthropic", account: "acct1", window: "5h", utilization, resetsAt: 1_800_000_000_000, ...over });

describe("spend against USD budgets", () => {
  test("a project over its daily budget reads as the person would say it", () => {
    const [c, ...rest] = budgetStatus(budgets({ projects: { alpha: { daily_usd: 5 } } }), [project("alpha", "day", 5_120_000)], []);
    expect(rest).toEqual([]);
    expect(c).toEqual({
      key: `spend:project:alpha:day:${DAY_START}:5000000:exceeded`,
      kind: "spend",
      severity: "exceeded",
      message: "alpha: $5.12 of its $5.00 daily budget (102%)",
      value: 5_120_000,
      limit: 5_000_000,
    });
  });

  test("the total: below 80% nothing, from 80% a warning, from 100% exceeded (exact micros at the edges)", () => {
    const b = budgets({ daily_usd: 20 });
    const at = (micros: number) => budgetStatus(b, [{ ...total("day", 0), costMicros: micros }], []).map((c) => c.severity);
    expect(at(15_999_999)).toEqual([]);
    expect(at(16_000_000)).toEqual(["warning"]);
    expect(at(19_999_999)).toEqual(["warning"]);
    expect(at(20_000_000)).toEqual(["exceeded"]);
    expect(budgetStatus(b, [total("day", 16.4)], [])[0]!.message).toBe("All projects: $16.40 of the $20.00 daily budget (82%)");
  });

  test("a warning never reads 100%: the percentage is rounded down", () => {
    const [c] = budgetStatus(budgets({ weekly_usd: 100 }), [{ ...total("week", 0), costMicros: 99_999_999 }], []);
    expect(c!.severity).toBe("warning");
    expect(c!.message).toBe("All projects: $100.00 of the $100.00 weekly budget (99%)");
  });

  test("each period reads its own key; a period without a budget says nothing", () => {
    const b = budgets({ monthly_usd: 300, projects: { alpha: { weekly_usd: 10 } } });
    const out = budgetStatus(b, [total("day", 1000), total("month", 301), project("alpha", "week", 9_000_000), project("alpha", "month", 999_000_000)], []);
    expect(out.map((c) => c.message)).toEqual(["All projects: $301.00 of the $300.00 monthly budget (100%)", "alpha: $9.00 of its $10.00 weekly budget (90%)"]);
  });

  test("a project the file does not name has no budget, even one called like an Object method", () => {
    const b = budgets({ projects: { alpha: { daily_usd: 1 } } });
    expect(budgetStatus(b, [project("beta", "day", 10_000_000), project("constructor", "day", 10_000_000), project("__proto__", "day", 10_000_000)], [])).toEqual([]);
  });

  test("the key changes with the period, the budget and the severity, and with nothing else", () => {
    const key = (b: BudgetsConfig, s: Spend) => budgetStatus(b, [s], [])[0]!.key;
    const base = key(budgets({ daily_usd: 20 }), total("day", 17));
    expect(key(budgets({ daily_usd: 20 }), total("day", 18))).toBe(base);
    expect(key(budgets({ daily_usd: 20 }), { ...total("day", 17), periodStart: DAY_START + 86_400_000 })).not.toBe(base);
    expect(key(budgets({ daily_usd: 21 }), total("day", 17))).not.toBe(base);
    expect(key(budgets({ daily_usd: 20 }), total("day", 20))).not.toBe(base);
  });

  test("config dollars become whole micro-dollars, rounded", () => {
    expect(budgetMicros(0.1)).toBe(100_000);
    expect(budgetMicros(19.99)).toBe(19_990_000);
    expect(budgetMicros(0.0000015)).toBe(2);
  });
});

describe("limit windows against window_alerts", () => {
  const alerts = budgets({ window_alerts: [0.8, 0.95] });

  test("the highest threshold reached is the one crossing", () => {
    expect(budgetStatus(alerts, [], [window(0.79)])).toEqual([]);
    const [c, ...rest] = budgetStatus(alerts, [], [window(0.97)]);
    expect(rest).toEqual([]);
    expect(c).toEqual({
      key: "window:anthropic:acct1:5h:1800000000000:0.95",
      kind: "window",
      severity: "warning",
      message: "anthropic 5h limit: 97% used (alert at 95%)",
      value: 0.97,
      limit: 0.95,
    });
    expect(budgetStatus(alerts, [], [window(0.8)])[0]!.limit).toBe(0.8);
  });

  test("at 100% or over it is exceeded, whatever the highest threshold", () => {
    for (const u of [1, 1.02]) {
      const [c] = budgetStatus(alerts, [], [window(u)]);
      expect(c!.severity).toBe("exceeded");
      expect(c!.limit).toBe(1);
      expect(c!.key).toBe("window:anthropic:acct1:5h:1800000000000:1");
    }
    expect(budgetStatus(alerts, [], [window(1)])[0]!.message).toBe("anthropic 5h limit reached (100% used)");
    expect(budgetStatus(budgets({ window_alerts: [1] }), [], [window(0.99)])).toEqual([]);
  });

  test("percentages read as people expect: 0.29 is 29%, 0.999 is not yet 100%, 95.5% keeps its half", () => {
    expect(budgetStatus(budgets({ window_alerts: [0.2] }), [], [window(0.29)])[0]!.message).toBe("anthropic 5h limit: 29% used (alert at 20%)");
    expect(budgetStatus(alerts, [], [window(0.999)])[0]!.message).toBe("anthropic 5h limit: 99% used (alert at 95%)");
    expect(budgetStatus(budgets({ window_alerts: [0.955] }), [], [window(0.96)])[0]!.message).toContain("(alert at 95.5%)");
  });

  test("no thresholds configured (the default) watches no window, not even a full one", () => {
    expect(budgetStatus(defaultConfig().budgets, [], [window(1.5)])).toEqual([]);
  });

  test("an unknown or non-finite utilization is no crossing", () => {
    expect(budgetStatus(alerts, [], [window(null), window(Number.NaN), window(Number.POSITIVE_INFINITY)])).toEqual([]);
  });

  test("a window that has reset by `now` is skipped; one that has not is kept", () => {
    const w = window(0.9, { resetsAt: 5000 });
    expect(budgetStatus(alerts, [], [w], 5000)).toEqual([]);
    expect(budgetStatus(alerts, [], [w], 4999)).toHaveLength(1);
    expect(budgetStatus(alerts, [], [window(0.9, { resetsAt: null })], 5000)[0]!.key).toBe("window:anthropic:acct1:5h:no-reset:0.8");
  });

  test("each account and window is its own crossing; a new reset is a new key", () => {
    const out = budgetStatus(alerts, [], [window(0.9), window(0.9, { account: "acct2" }), window(0.9, { window: "7d" }), window(0.9, { resetsAt: 1_800_018_000_000 })]);
    expect(new Set(out.map((c) => c.key)).size).toBe(4);
  });
});

describe("newCrossings", () => {
  const crossing = (key: string): Crossing => ({ key, kind: "spend", severity: "warning", message: key, value: 1, limit: 1 });

  test("drops what was notified and repeats of a key, keeping order", () => {
    const now = [crossing("a"), crossing("b"), crossing("c"), crossing("b")];
    expect(newCrossings(now, new Set(["a"])).map((c) => c.key)).toEqual(["b", "c"]);
    expect(newCrossings(now, new Set(["a", "b", "c"]))).toEqual([]);
  });

  test("a transcript: warning, then the same warning again, then exceeded, then a new day", () => {
    const b = budgets({ daily_usd: 10 });
    const notified = new Set<string>();
    const step = (dollars: number, periodStart = DAY_START) => {
      const fresh = newCrossings(budgetStatus(b, [{ ...total("day", dollars), periodStart }], []), notified);
      for (const c of fresh) notified.add(c.key);
      return fresh.map((c) => c.severity);
    };
    expect(step(7)).toEqual([]);
    expect(step(8.5)).toEqual(["warning"]);
    expect(step(9.5)).toEqual([]);
    expect(step(10.01)).toEqual(["exceeded"]);
    expect(step(12)).toEqual([]);
    expect(step(9, DAY_START + 86_400_000)).toEqual(["warning"]);
  });
});
