import { describe, expect, test } from "bun:test";
import { readCodexLimits } from "../../core/limits/codex.ts";
import { byWindow, pairs } from "./_helpers.ts";

const AT = 1_704_060_000_000;

// Header sets from codex-rs's own tests (codex-rs/codex-api/src/rate_limits.rs, mod tests).
describe("as codex-rs reads them", () => {
  test("the default codex limit: percent, minutes, Unix-second reset", () => {
    const obs = readCodexLimits(pairs({
      "x-codex-primary-used-percent": "12.5",
      "x-codex-primary-window-minutes": "60",
      "x-codex-primary-reset-at": "1704069000",
    }), AT);
    expect(obs).toEqual([{
      provider: "chatgpt",
      window: "primary",
      kind: "subscription",
      utilization: 0.125,
      limit: null,
      remaining: null,
      resetsAt: 1_704_069_000_000,
      windowMinutes: 60,
      status: null,
      extra: { limit_id: "codex" },
    }]);
  });

  test("x-codex-secondary-primary-* is limit codex_secondary's primary window, not codex's secondary", () => {
    const obs = readCodexLimits(pairs({
      "x-codex-secondary-primary-used-percent": "80",
      "x-codex-secondary-primary-window-minutes": "1440",
      "x-codex-secondary-primary-reset-at": "1704074400",
    }), AT);
    expect(obs.map((o) => o.window)).toEqual(["codex_secondary/primary"]);
    expect(obs[0]).toMatchObject({ utilization: 0.8, windowMinutes: 1440, resetsAt: 1_704_074_400_000, extra: { limit_id: "codex_secondary" } });
  });

  test("another metered limit carries its display name", () => {
    const obs = readCodexLimits(pairs({ "x-codex-bengalfox-primary-used-percent": "80", "x-codex-bengalfox-limit-name": "gpt-5.2-codex-sonic" }), AT);
    expect(obs[0]).toMatchObject({ window: "codex_bengalfox/primary", extra: { limit_id: "codex_bengalfox", limit_name: "gpt-5.2-codex-sonic" } });
  });

  test("every family in one response", () => {
    const obs = readCodexLimits(pairs({ "x-codex-primary-used-percent": "12.5", "x-codex-secondary-primary-used-percent": "80" }), AT);
    expect(obs.map((o) => o.window)).toEqual(["primary", "codex_secondary/primary"]);
  });

  test("a 0% window with no length and no reset carries no data", () => {
    expect(readCodexLimits(pairs({ "x-codex-primary-used-percent": "0" }), AT)).toEqual([]);
    expect(readCodexLimits(pairs({ "x-codex-primary-used-percent": "0", "x-codex-primary-window-minutes": "300" }), AT)).toHaveLength(1);
  });
});

// The shape tests/harness/fake-responses.ts serves for a Plus account.
test("primary and secondary of a Plus account", () => {
  const w = byWindow(readCodexLimits(pairs({
    "x-codex-primary-used-percent": "12",
    "x-codex-primary-window-minutes": "300",
    "x-codex-primary-reset-at": "1704063600",
    "x-codex-secondary-used-percent": "3",
    "x-codex-secondary-window-minutes": "10080",
    "x-codex-secondary-reset-at": "1704146400",
  }), AT));
  expect(w.primary).toMatchObject({ utilization: 0.12, windowMinutes: 300, resetsAt: 1_704_063_600_000 });
  expect(w.secondary).toMatchObject({ utilization: 0.03, windowMinutes: 10_080, resetsAt: 1_704_146_400_000 });
});

describe("beyond codex-rs", () => {
  // A capture published in a third-party Codex quota tool's tests: relative resets, the plan, and
  // credits without -unlimited (which codex-rs, needing both flags, does not read).
  test("reset-after-seconds, the plan type, and half a credits report", () => {
    const obs = readCodexLimits(pairs({
      "x-codex-active-limit": "premium",
      "x-codex-plan-type": "plus",
      "x-codex-primary-used-percent": "42",
      "x-codex-primary-window-minutes": "300",
      "x-codex-primary-reset-after-seconds": "18000",
      "x-codex-secondary-used-percent": "94",
      "x-codex-secondary-window-minutes": "10080",
      "x-codex-secondary-reset-after-seconds": "486400",
      "x-codex-credits-has-credits": "False",
      "x-codex-credits-balance": "0",
    }), AT);
    expect(obs.map((o) => o.window)).toEqual(["primary", "secondary"]);
    expect(obs[0]).toMatchObject({ resetsAt: AT + 18_000_000, extra: { limit_id: "codex", plan_type: "plus", active_limit: "premium" } });
    expect(obs[1]!.resetsAt).toBe(AT + 486_400_000);
  });

  test("reset-at wins over reset-after-seconds", () => {
    const w = byWindow(readCodexLimits(pairs({ "x-codex-primary-used-percent": "5", "x-codex-primary-reset-at": "1704069000", "x-codex-primary-reset-after-seconds": "1" }), AT));
    expect(w.primary!.resetsAt).toBe(1_704_069_000_000);
  });
});

test("credits, when both flags are readable", () => {
  const w = byWindow(readCodexLimits(pairs({ "x-codex-credits-has-credits": "true", "x-codex-credits-unlimited": "0", "x-codex-credits-balance": "12.5" }), AT));
  expect(w.credits).toMatchObject({ kind: "subscription", remaining: 12.5, extra: { has_credits: "true", unlimited: "false", balance: "12.5" } });
});

test("malformed values: no used-percent is no window; a bad length is null", () => {
  const w = byWindow(readCodexLimits(pairs({
    "x-codex-primary-used-percent": "12%",
    "x-codex-primary-window-minutes": "300",
    "x-codex-secondary-used-percent": "5",
    "x-codex-secondary-window-minutes": "garbage",
    "x-codex-secondary-reset-at": "tomorrow",
    "x-codex-credits-has-credits": "yes",
    "x-codex-credits-unlimited": "false",
  }), AT));
  expect(Object.keys(w)).toEqual(["secondary"]);
  expect(w.secondary).toMatchObject({ utilization: 0.05, windowMinutes: null, resetsAt: null });
});

test("names compare case-insensitively", () => {
  const w = byWindow(readCodexLimits([["X-Codex-Primary-Used-Percent", "37"], ["X-Codex-Primary-Window-Minutes", "10080"], ["X-Codex-Primary-Reset-At", "1790300000"]], AT));
  expect(w.primary).toMatchObject({ utilization: 0.37, windowMinutes: 10_080, resetsAt: 1_790_300_000_000 });
});
