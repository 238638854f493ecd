import { describe, expect, test } from "bun:test";
import { readAnthropicLimits } from "../../core/limits/anthropic.ts";
import { byWindow, pairs } from "./_helpers.ts";

// Names and formats as Claude Code 2.1.197 reads them (node_modules/@anthropic-ai/claude-code,
// the JS embedded in bin/claude.exe: functions reading "anthropic-ratelimit-unified-*"), values
// shaped like its thresholds (fractions) and resets (Unix seconds).
const AT = 1_899_990_000_000;

describe("subscription windows", () => {
  // A Max account's allowed response as a public capture lists it (per-claim -status included).
  const ALLOWED = pairs({
    "anthropic-ratelimit-unified-5h-utilization": "0.42",
    "anthropic-ratelimit-unified-5h-reset": "1900000000",
    "anthropic-ratelimit-unified-5h-status": "allowed",
    "anthropic-ratelimit-unified-7d-utilization": "0.9",
    "anthropic-ratelimit-unified-7d_oi-utilization": "1.1",
    "anthropic-ratelimit-unified-7d_oi-status": "rejected",
    "anthropic-ratelimit-unified-status": "allowed",
  });

  test("each claim is a window; the overall verdict is 'unified'", () => {
    const obs = readAnthropicLimits(ALLOWED, AT);
    expect(obs.map((o) => o.window)).toEqual(["unified", "5h", "7d", "7d_oi"]);
    const w = byWindow(obs);
    expect(w["5h"]).toEqual({
      provider: "anthropic",
      window: "5h",
      kind: "subscription",
      utilization: 0.42,
      limit: null,
      remaining: null,
      resetsAt: 1_900_000_000_000,
      windowMinutes: null,
      status: "allowed",
    });
    expect(w["7d"]).toMatchObject({ utilization: 0.9, resetsAt: null, status: null });
    expect(w["7d_oi"]).toMatchObject({ utilization: 1.1, status: "rejected" });
    expect(w.unified).toMatchObject({ kind: "subscription", status: "allowed", resetsAt: null, utilization: null });
    expect(w.unified!.extra).toBeUndefined();
  });

  // A 429 with every overall and overage field Claude Code reads.
  test("a rejection with its claim, fallback and overage fields kept as sent", () => {
    const w = byWindow(readAnthropicLimits(pairs({
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-reset": "1900003600",
      "anthropic-ratelimit-unified-representative-claim": "five_hour",
      "anthropic-ratelimit-unified-fallback": "available",
      "anthropic-ratelimit-unified-upgrade-paths": "max_20x, extra_usage",
      "anthropic-ratelimit-unified-overage-status": "rejected",
      "anthropic-ratelimit-unified-overage-reset": "1901000000",
      "anthropic-ratelimit-unified-overage-disabled-reason": "org_spend_cap_reached",
      "anthropic-ratelimit-unified-overage-in-use": "false",
      "anthropic-ratelimit-unified-overage-period-monthly-utilization": "0.37",
      "anthropic-ratelimit-unified-5h-utilization": "1",
      "anthropic-ratelimit-unified-5h-reset": "1900003600",
      "retry-after": "3600",
    }), AT));
    expect(w.unified).toMatchObject({ status: "rejected", resetsAt: 1_900_003_600_000 });
    expect(w.unified!.extra).toEqual({
      "representative-claim": "five_hour",
      fallback: "available",
      "upgrade-paths": "max_20x, extra_usage",
      "overage-disabled-reason": "org_spend_cap_reached",
      "overage-in-use": "false",
    });
    expect(w.overage).toMatchObject({ status: "rejected", resetsAt: 1_901_000_000_000, utilization: null });
    expect(w["overage-period-monthly"]).toMatchObject({ utilization: 0.37 });
    expect(w["5h"]).toMatchObject({ utilization: 1, resetsAt: 1_900_003_600_000 });
    expect(w["retry-after"]).toMatchObject({ resetsAt: AT + 3_600_000 });
  });

  test("a surpassed threshold rides on its window", () => {
    const w = byWindow(readAnthropicLimits(pairs({
      "anthropic-ratelimit-unified-7d-surpassed-threshold": "0.75",
      "anthropic-ratelimit-unified-7d-utilization": "0.78",
      "anthropic-ratelimit-unified-7d-reset": "1900500000",
    }), AT));
    expect(w["7d"]).toMatchObject({ utilization: 0.78, extra: { "surpassed-threshold": "0.75" } });
    expect(w.unified).toBeUndefined();
  });

  test("claims Claude Code does not name yet are kept by theirs", () => {
    const w = byWindow(readAnthropicLimits(pairs({ "anthropic-ratelimit-unified-7d_opus-utilization": "1", "anthropic-ratelimit-unified-7d_opus-reset": "1900500000" }), AT));
    expect(w["7d_opus"]).toMatchObject({ kind: "subscription", utilization: 1, resetsAt: 1_900_500_000_000 });
  });

  test("names compare case-insensitively", () => {
    const w = byWindow(readAnthropicLimits([["Anthropic-Ratelimit-Unified-5h-Utilization", "0.16"], ["ANTHROPIC-RATELIMIT-UNIFIED-STATUS", "allowed_warning"]], AT));
    expect(w["5h"]!.utilization).toBe(0.16);
    expect(w.unified!.status).toBe("allowed_warning");
  });

  test("malformed values are null, the window stays", () => {
    const w = byWindow(readAnthropicLimits(pairs({
      "anthropic-ratelimit-unified-5h-utilization": "NaN",
      "anthropic-ratelimit-unified-5h-reset": "soon",
      "anthropic-ratelimit-unified-7d-utilization": "-0.5",
      "anthropic-ratelimit-unified-reset": "2026-01-01T00:00:00Z",
      "anthropic-ratelimit-unified-status": "x".repeat(5000),
    }), AT));
    expect(w["5h"]).toMatchObject({ utilization: null, resetsAt: null });
    expect(w["7d"]!.utilization).toBeNull();
    expect(w.unified!.resetsAt).toBeNull();
    expect(w.unified!.status).toHaveLength(200);
  });
});
