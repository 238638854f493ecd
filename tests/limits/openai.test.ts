import { describe, expect, test } from "bun:test";
import { readOpenAILimits } from "../../core/limits/openai.ts";
import { byWindow, pairs } from "./_helpers.ts";

const AT = 1_748_235_604_000;

// A chat.completions response as posted on community.openai.com
// (https://community.openai.com/t/how-to-get-rate-limit-reset-time-for-response-api/1268905).
const CAPTURE = pairs({
  "x-ratelimit-limit-requests": "5000",
  "x-ratelimit-limit-tokens": "160000",
  "x-ratelimit-limit-tokens_usage_based": "160000",
  "x-ratelimit-remaining-requests": "4999",
  "x-ratelimit-remaining-tokens": "159976",
  "x-ratelimit-remaining-tokens_usage_based": "159976",
  "x-ratelimit-reset-requests": "12ms",
  "x-ratelimit-reset-tokens": "9ms",
  "x-ratelimit-reset-tokens_usage_based": "9ms",
});

describe("x-ratelimit-*", () => {
  test("requests and tokens, and the undocumented tokens_usage_based kept by name", () => {
    const obs = readOpenAILimits(CAPTURE, AT);
    expect(obs.map((o) => o.window)).toEqual(["requests", "tokens", "tokens_usage_based"]);
    const w = byWindow(obs);
    expect(w.requests).toEqual({
      provider: "openai",
      window: "requests",
      kind: "rate-limit",
      utilization: expect.closeTo(0.0002, 9),
      limit: 5000,
      remaining: 4999,
      resetsAt: AT + 12,
      windowMinutes: null,
      status: null,
    });
    expect(w.tokens).toMatchObject({ limit: 160_000, remaining: 159_976, resetsAt: AT + 9 });
  });

  // The example in OpenAI's rate-limits guide: x-ratelimit-reset-tokens: 6m0s.
  test("resets are durations from the response time", () => {
    const w = byWindow(readOpenAILimits([["x-ratelimit-reset-tokens", "6m0s"], ["x-ratelimit-reset-requests", "1h2m3.5s"]], AT));
    expect(w.tokens!.resetsAt).toBe(AT + 360_000);
    expect(w.requests!.resetsAt).toBe(AT + 3_723_500);
  });

  // Azure's "-1 / 0" (https://github.com/openai/openai-dotnet/issues/838) and plain junk.
  test("malformed and sentinel values are null", () => {
    const w = byWindow(readOpenAILimits(pairs({
      "x-ratelimit-limit-tokens": "-1",
      "x-ratelimit-remaining-tokens": "-1",
      "x-ratelimit-reset-tokens": "6 minutes",
    }), AT));
    expect(w.tokens).toMatchObject({ limit: null, remaining: null, utilization: null, resetsAt: null });
  });

  test("names compare case-insensitively", () => {
    const w = byWindow(readOpenAILimits([["X-RateLimit-Limit-Requests", "30000"], ["X-Ratelimit-Remaining-Requests", "29999"]], AT));
    expect(w.requests).toMatchObject({ limit: 30_000, remaining: 29_999 });
  });

  test("retry-after on a 429, and nothing from other providers' headers", () => {
    expect(byWindow(readOpenAILimits([["retry-after", "20"]], AT))["retry-after"]!.resetsAt).toBe(AT + 20_000);
    expect(readOpenAILimits([["anthropic-ratelimit-requests-limit", "50"], ["x-ratelimit-", "1"], ["x-ratelimit-limit-", "5"]], AT)).toEqual([]);
  });

  test("a response time that is not a number leaves relative resets unknown", () => {
    expect(byWindow(readOpenAILimits(CAPTURE, Number.NaN)).requests!.resetsAt).toBeNull();
  });
});
