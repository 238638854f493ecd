import { describe, expect, test } from "bun:test";
import { readCodexRateLimitEvent } from "../../core/limits/codex-event.ts";
import { byWindow } from "./_helpers.ts";

const AT = 1_704_060_000_000;

describe("codex.rate_limits", () => {
  // The message tests/harness/fake-responses.ts sends ahead of each response on a chatgpt.com socket.
  test("a Plus account's windows and credits", () => {
    const w = byWindow(readCodexRateLimitEvent({
      type: "codex.rate_limits",
      plan_type: "plus",
      rate_limits: {
        allowed: true,
        limit_reached: false,
        primary: { used_percent: 12, window_minutes: 300, reset_at: 1_704_063_600 },
        secondary: { used_percent: 3, window_minutes: 10080, reset_at: 1_704_146_400 },
      },
      credits: { has_credits: false, unlimited: false, balance: null },
      metered_limit_name: "codex",
    }, AT));
    expect(Object.keys(w)).toEqual(["primary", "secondary", "credits"]);
    expect(w.primary).toEqual({
      provider: "chatgpt",
      window: "primary",
      kind: "subscription",
      utilization: 0.12,
      limit: null,
      remaining: null,
      resetsAt: 1_704_063_600_000,
      windowMinutes: 300,
      status: null,
      extra: { limit_id: "codex", plan_type: "plus", limit_reached: "false" },
    });
    expect(w.credits).toMatchObject({ remaining: null, extra: { has_credits: "false", unlimited: "false", plan_type: "plus" } });
    expect(w.credits!.extra).not.toHaveProperty("balance");
  });

  // codex-rs parse_rate_limit_event's cases (as ported and documented from rate_limits.rs).
  test("the limit id: metered_limit_name, else limit_name, normalised", () => {
    const primary = { used_percent: 50.0, window_minutes: 300, reset_at: 1_704_069_000 };
    expect(readCodexRateLimitEvent({ type: "codex.rate_limits", plan_type: "pro", metered_limit_name: "codex_other", rate_limits: { primary } }, AT)[0]!.window).toBe("codex_other/primary");
    expect(readCodexRateLimitEvent({ type: "codex.rate_limits", metered_limit_name: "Codex-Secondary", limit_name: "x", rate_limits: { primary } }, AT)[0]!.window).toBe("codex_secondary/primary");
    expect(readCodexRateLimitEvent({ type: "codex.rate_limits", limit_name: "codex_bengalfox", rate_limits: { primary } }, AT)[0]!.window).toBe("codex_bengalfox/primary");
    expect(readCodexRateLimitEvent({ type: "codex.rate_limits", metered_limit_name: "  ", rate_limits: { primary } }, AT)[0]!.window).toBe("primary");
  });

  test("credits with a string balance (codex-rs) or a numeric one (seen in captures)", () => {
    const of = (balance: unknown) => byWindow(readCodexRateLimitEvent({ type: "codex.rate_limits", credits: { has_credits: true, unlimited: false, balance } }, AT)).credits;
    expect(of("100")).toMatchObject({ remaining: 100, extra: { balance: "100" } });
    expect(of(12.5)).toMatchObject({ remaining: 12.5, extra: { balance: "12.5" } });
    expect(byWindow(readCodexRateLimitEvent({ type: "codex.rate_limits", credits: { has_credits: true } }, AT)).credits).toBeUndefined();
  });

  test("reset_after_seconds when reset_at is missing", () => {
    const obs = readCodexRateLimitEvent({ type: "codex.rate_limits", rate_limits: { secondary: { used_percent: 59, window_minutes: 10080, reset_after_seconds: 3600 } } }, AT);
    expect(obs[0]).toMatchObject({ window: "secondary", resetsAt: AT + 3_600_000 });
  });

  test("a wrongly typed field costs that window, not the event", () => {
    const obs = readCodexRateLimitEvent({
      type: "codex.rate_limits",
      rate_limits: { primary: { used_percent: "50" }, secondary: { used_percent: 7, window_minutes: 1.5, reset_at: "soon" } },
    }, AT);
    expect(obs).toHaveLength(1);
    expect(obs[0]).toMatchObject({ window: "secondary", utilization: 0.07, windowMinutes: null, resetsAt: null });
  });

  test("nothing to read is []", () => {
    const events: unknown[] = [null, "codex.rate_limits", [], 42, { type: "response.completed" }, { type: "codex.rate_limits" }, { type: "codex.rate_limits", rate_limits: { limit_reached: true } }];
    for (const event of events) expect(readCodexRateLimitEvent(event, AT)).toEqual([]);
  });
});
