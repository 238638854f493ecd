import { describe, expect, test } from "bun:test";
import { readAnthropicLimits } from "../../core/limits/anthropic.ts";
import { byWindow, pairs } from "./_helpers.ts";

// A real 200 from api.anthropic.com with an API key, recorded by tidyllm's test suite
// (https://rdrr.io/cran/tidyllm/src/tests/testthat/claude/api.anthropic.com/v1/messages-e050b5-POST.R).
const TIDYLLM = pairs({
  date: "Thu, 21 Aug 2025 12:41:00 GMT",
  "content-type": "application/json",
  "anthropic-ratelimit-input-tokens-limit": "80000",
  "anthropic-ratelimit-input-tokens-remaining": "80000",
  "anthropic-ratelimit-input-tokens-reset": "2025-08-21T12:40:59Z",
  "anthropic-ratelimit-output-tokens-limit": "16000",
  "anthropic-ratelimit-output-tokens-remaining": "16000",
  "anthropic-ratelimit-output-tokens-reset": "2025-08-21T12:41:00Z",
  "anthropic-ratelimit-requests-limit": "1000",
  "anthropic-ratelimit-requests-remaining": "999",
  "anthropic-ratelimit-requests-reset": "2025-08-21T12:40:59Z",
  "anthropic-ratelimit-tokens-limit": "96000",
  "anthropic-ratelimit-tokens-remaining": "96000",
  "anthropic-ratelimit-tokens-reset": "2025-08-21T12:40:59Z",
  "request-id": "req_011CSLsW7mFqvHHnzrKdKjAE",
  "anthropic-organization-id": "36562039-1ae4-48e6-ae28-1e517e3d2d12",
});
const AT = Date.parse("Thu, 21 Aug 2025 12:41:00 GMT");

describe("API-key limits", () => {
  test("the four documented windows, in the order the response lists them", () => {
    const obs = readAnthropicLimits(TIDYLLM, AT);
    expect(obs.map((o) => o.window)).toEqual(["input-tokens", "output-tokens", "requests", "tokens"]);
    expect(byWindow(obs).requests).toEqual({
      provider: "anthropic",
      window: "requests",
      kind: "rate-limit",
      utilization: expect.closeTo(0.001, 9),
      limit: 1000,
      remaining: 999,
      resetsAt: Date.UTC(2025, 7, 21, 12, 40, 59),
      windowMinutes: null,
      status: null,
    });
    expect(byWindow(obs)["output-tokens"]!.resetsAt).toBe(Date.UTC(2025, 7, 21, 12, 41, 0));
    expect(byWindow(obs).tokens!.utilization).toBe(0);
  });

  // The Priority Tier example on https://platform.claude.com/docs/en/api/service-tiers.
  test("priority tier headers are windows of their own", () => {
    const w = byWindow(readAnthropicLimits(pairs({
      "anthropic-priority-input-tokens-limit": "10000",
      "anthropic-priority-input-tokens-remaining": "9618",
      "anthropic-priority-input-tokens-reset": "2025-01-12T23:11:59Z",
      "anthropic-priority-output-tokens-limit": "10000",
      "anthropic-priority-output-tokens-remaining": "6000",
      "anthropic-priority-output-tokens-reset": "2025-01-12T23:12:21Z",
    }), AT));
    expect(Object.keys(w)).toEqual(["priority-input-tokens", "priority-output-tokens"]);
    expect(w["priority-input-tokens"]!.utilization).toBeCloseTo(0.0382, 9);
    expect(w["priority-output-tokens"]!.resetsAt).toBe(Date.UTC(2025, 0, 12, 23, 12, 21));
  });

  test("an unknown window is kept by its name; names compare case-insensitively", () => {
    const w = byWindow(readAnthropicLimits([["Anthropic-RateLimit-Batch-Requests-Limit", "50"], ["ANTHROPIC-RATELIMIT-BATCH-REQUESTS-REMAINING", " 10 "]], AT));
    expect(w["batch-requests"]).toMatchObject({ limit: 50, remaining: 10, utilization: 0.8, resetsAt: null });
  });

  test("a malformed field costs that field alone", () => {
    const w = byWindow(readAnthropicLimits(pairs({
      "anthropic-ratelimit-requests-limit": "lots",
      "anthropic-ratelimit-requests-remaining": "12",
      "anthropic-ratelimit-requests-reset": "in a minute",
    }), AT));
    expect(w.requests).toMatchObject({ limit: null, remaining: 12, utilization: null, resetsAt: null });
  });

  test("the subscription family is not read as API-key windows", () => {
    const obs = readAnthropicLimits(pairs({ "anthropic-ratelimit-unified-reset": "1900000000", "anthropic-ratelimit-unified-5h-status": "allowed" }), AT);
    expect(obs.every((o) => o.kind === "subscription")).toBe(true);
  });

  test("nothing to read is []", () => {
    expect(readAnthropicLimits(pairs({ "content-type": "application/json", "anthropic-ratelimit-": "1" }), AT)).toEqual([]);
  });
});

describe("retry-after", () => {
  // tests/providers/fixtures/cases.ts "anthropic 429 rate limit": retry-after: 17.
  test("seconds from the response time", () => {
    const w = byWindow(readAnthropicLimits([["retry-after", "17"]], AT));
    expect(w["retry-after"]).toMatchObject({ kind: "rate-limit", resetsAt: AT + 17_000 });
  });

  test("retry-after-ms wins, as in the SDK's retry loop", () => {
    expect(byWindow(readAnthropicLimits([["retry-after", "17"], ["retry-after-ms", "1500"]], AT))["retry-after"]!.resetsAt).toBe(AT + 1500);
  });

  test("an HTTP-date, and junk", () => {
    expect(byWindow(readAnthropicLimits([["Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"]], AT))["retry-after"]!.resetsAt).toBe(1_445_412_480_000);
    expect(readAnthropicLimits([["retry-after", "soon"]], AT)).toEqual([]);
    expect(readAnthropicLimits([["retry-after", "-3"]], AT)).toEqual([]);
  });
});
