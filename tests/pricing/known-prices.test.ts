// Expected micros are computed by hand from the providers' published per-million-token prices
// (which the bundled genai-prices data carries): micros = tokens × USD-per-MTok.

import { describe, expect, test } from "bun:test";
import { priceUsage, type PriceResult } from "../../core/pricing/index.ts";
import { tokens } from "./_tokens.ts";

function priced(r: PriceResult) {
  if (r.status !== "priced") throw new Error(`expected priced, got: ${r.reason}`);
  return r;
}

describe("published prices", () => {
  test("claude-sonnet-4-5: $3 in, $15 out, $0.30 cache read, $3.75 5 min write, $6 1 h write", () => {
    const r = priced(
      priceUsage({
        provider: "anthropic",
        model: "claude-sonnet-4-5-20250929",
        tokens: tokens({ input: 12_345, output: 6_789, cacheRead: 50_000, cacheWrite5m: 2_000, cacheWrite1h: 3_000 }),
      }),
    );
    // 12345×3 + 6789×15 + 50000×0.3 + 2000×3.75 + 3000×6
    expect(r.breakdown).toEqual({ input: 37_035, output: 101_835, cacheRead: 15_000, cacheWrite5m: 7_500, cacheWrite1h: 18_000 });
    expect(r.costMicros).toBe(179_370);
    expect(r.matchedModel).toBe("claude-sonnet-4-5");
    expect(r.source).toBe("genai-prices@0.1.8/2026-09-22");
  });

  test("claude-opus-4-1: $15 / $75, cache read $1.50, 5 min write $18.75; total rounded once, half-up", () => {
    const r = priced(
      priceUsage({ provider: "anthropic", model: "claude-opus-4-1-20250805", tokens: tokens({ input: 1_001, output: 333, cacheRead: 7, cacheWrite5m: 3 }) }),
    );
    // 15015 + 24975 + 10.5 + 56.25 = 40056.75
    expect(r.costMicros).toBe(40_057);
    expect(r.breakdown).toEqual({ input: 15_015, output: 24_975, cacheRead: 11, cacheWrite5m: 56, cacheWrite1h: 0 });
  });

  test("gpt-4o: $2.50 in, $1.25 cached, $10 out", () => {
    const r = priced(priceUsage({ provider: "openai", model: "gpt-4o-2024-08-06", tokens: tokens({ input: 1_000, cacheRead: 3_000, output: 200 }) }));
    expect(r.costMicros).toBe(2_500 + 3_750 + 2_000);
  });

  test("gpt-5: $1.25 in, $0.125 cached, $10 out; reasoning is inside output and not billed again", () => {
    const r = priced(priceUsage({ provider: "openai", model: "gpt-5", tokens: tokens({ input: 2, cacheRead: 4, output: 1_000, reasoning: 800 }) }));
    // 2×1.25 = 2.5, 4×0.125 = 0.5, 1000×10 = 10000 → 10003 exactly
    expect(r.costMicros).toBe(10_003);
    expect(r.breakdown.input).toBe(3); // 2.5 rounds half-up on its own
  });

  test("chatgpt.com (Codex) is priced with OpenAI's prices", () => {
    const r = priced(priceUsage({ provider: "chatgpt", model: "gpt-5-codex", tokens: tokens({ input: 1_000, output: 1_000 }) }));
    expect(r.costMicros).toBe(1_250 + 10_000);
  });

  test("gemini-2.5-pro: $1.25 / $10 up to 200k prompt tokens, $2.50 / $15 above, for the whole request", () => {
    const at200k = priced(
      priceUsage({ provider: "google", model: "gemini-2.5-pro", tokens: tokens({ input: 150_000, cacheRead: 50_000, output: 1_000 }) }),
    );
    expect(at200k.costMicros).toBe(150_000 * 1.25 + 50_000 * 0.125 + 1_000 * 10);
    expect(at200k.longContext).toBe(false);
    const over = priced(
      priceUsage({ provider: "google-cloudcode", model: "models/gemini-2.5-pro", tokens: tokens({ input: 150_001, cacheRead: 50_000, output: 1_000 }) }),
    );
    // 150001×2.5 = 375002.5, 50000×0.25 = 12500, 1000×15 = 15000
    expect(over.costMicros).toBe(402_503);
    expect(over.longContext).toBe(true);
  });

  test("grok-4 (x-ai): $3 in, $0.75 cached, $15 out", () => {
    const r = priced(priceUsage({ provider: "xai", model: "grok-4", tokens: tokens({ input: 10_000, cacheRead: 4_000, output: 2_000 }) }));
    expect(r.matchedModel).toBe("grok-4-0709");
    expect(r.costMicros).toBe(30_000 + 3_000 + 30_000);
  });
});

describe("cache writes", () => {
  test("1 h writes cost 2× base input, 5 min writes 1.25×", () => {
    const m = { provider: "anthropic", model: "claude-sonnet-4-5" } as const;
    expect(priced(priceUsage({ ...m, tokens: tokens({ cacheWrite1h: 100_000 }) })).costMicros).toBe(600_000);
    expect(priced(priceUsage({ ...m, tokens: tokens({ cacheWrite5m: 100_000 }) })).costMicros).toBe(375_000);
  });

  test("an Anthropic price without a 1 h rate derives it as 2× input", () => {
    const r = priced(
      priceUsage({ provider: "anthropic", model: "claude-private-1", tokens: tokens({ cacheWrite1h: 1_000, cacheWrite5m: 1_000 }) }, {
        overrides: { "claude-private-1": { input: 4, output: 20, cache_write_5m: 5 } },
      }),
    );
    expect(r.breakdown.cacheWrite1h).toBe(8_000);
    expect(r.breakdown.cacheWrite5m).toBe(5_000);
  });
});

describe("long context", () => {
  const sonnet45 = { provider: "anthropic", model: "claude-sonnet-4-5" } as const;

  test("Sonnet 4.5 tier is chosen by total input: uncached + cache read + cache writes", () => {
    const r = priced(priceUsage({ ...sonnet45, tokens: tokens({ input: 1_000, cacheRead: 150_000, cacheWrite5m: 50_000, output: 100 }) }));
    // 201,000 input tokens > 200k: every kind at the long-context rate
    expect(r.costMicros).toBe(1_000 * 6 + 150_000 * 0.6 + 50_000 * 7.5 + 100 * 22.5);
    expect(r.longContext).toBe(true);
  });

  test("exactly 200k input tokens stays at the base tier", () => {
    const r = priced(priceUsage({ ...sonnet45, tokens: tokens({ input: 0, cacheRead: 150_000, cacheWrite1h: 50_000, output: 100 }) }));
    expect(r.costMicros).toBe(150_000 * 0.3 + 50_000 * 6 + 100 * 15);
    expect(r.longContext).toBe(false);
  });

  test("Sonnet 4 over 200k is billed at $6 / $22.50 (the bundled data misses this tier; we add it)", () => {
    const r = priced(priceUsage({ provider: "anthropic", model: "claude-sonnet-4-20250514", tokens: tokens({ input: 250_000, output: 1_000 }) }));
    expect(r.costMicros).toBe(250_000 * 6 + 1_000 * 22.5);
    const short = priced(priceUsage({ provider: "anthropic", model: "claude-sonnet-4-20250514", tokens: tokens({ input: 150_000, output: 1_000 }) }));
    expect(short.costMicros).toBe(150_000 * 3 + 1_000 * 15);
  });

  test("dated price changes follow the request time (Opus 4.6 long-context tier ended 2026-03-13)", () => {
    const usage = { provider: "anthropic", model: "claude-opus-4-6", tokens: tokens({ input: 300_000 }) } as const;
    expect(priced(priceUsage(usage, { now: new Date("2026-02-01T00:00:00Z") })).costMicros).toBe(300_000 * 10);
    expect(priced(priceUsage(usage, { now: new Date("2026-04-01T00:00:00Z") })).costMicros).toBe(300_000 * 5);
  });
});

describe("batch", () => {
  test("batch requests cost half, rounded once", () => {
    const r = priced(priceUsage({ provider: "openai", model: "gpt-4o", tokens: tokens({ input: 1_001, output: 3 }), billing: "batch" }));
    // (1001×2.5 + 3×10) / 2 = 1266.25
    expect(r.costMicros).toBe(1_266);
    expect(r.batch).toBe(true);
  });
});
