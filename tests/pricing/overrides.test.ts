import { describe, expect, test } from "bun:test";
import { priceUsage } from "../../core/pricing/index.ts";
import { tokens } from "./_tokens.ts";

describe("[pricing] overrides", () => {
  test("an override wins over the library, keyed case-insensitively", () => {
    const r = priceUsage(
      { provider: "anthropic", model: "claude-sonnet-4-5", tokens: tokens({ input: 1_000, output: 1_000, cacheRead: 1_000 }) },
      { overrides: { "Claude-Sonnet-4-5": { input: 1, output: 2 } } },
    );
    expect(r).toMatchObject({ status: "priced", source: "config", matchedModel: "Claude-Sonnet-4-5" });
    if (r.status !== "priced") return;
    // kinds the override leaves out keep the library's rate ($0.30 cache read)
    expect(r.breakdown).toEqual({ input: 1_000, output: 2_000, cacheRead: 300, cacheWrite5m: 0, cacheWrite1h: 0 });
    expect(r.costMicros).toBe(3_300);
  });

  test("override matching is exact: a dated model id is not covered by its alias", () => {
    const r = priceUsage(
      { provider: "anthropic", model: "claude-sonnet-4-5-20250929", tokens: tokens({ input: 1_000 }) },
      { overrides: { "claude-sonnet-4-5": { input: 1 } } },
    );
    expect(r).toMatchObject({ status: "priced", source: "genai-prices@0.1.8/2026-09-22", costMicros: 3_000 });
  });

  test("an override prices a model the library does not know", () => {
    const r = priceUsage(
      { provider: "openai", model: "ft:my-tuned-model", tokens: tokens({ input: 10_000, output: 1_000, cacheRead: 10_000 }) },
      { overrides: { "ft:my-tuned-model": { input: 0.5, output: 1.5, cache_read: 0.05 } } },
    );
    expect(r).toMatchObject({ status: "priced", source: "config", costMicros: 5_000 + 1_500 + 500 });
  });

  test("an override's flat rates win over the library's long-context tier", () => {
    const r = priceUsage(
      { provider: "anthropic", model: "claude-sonnet-4-5", tokens: tokens({ input: 300_000 }) },
      { overrides: { "claude-sonnet-4-5": { input: 3 } } },
    );
    expect(r).toMatchObject({ status: "priced", costMicros: 900_000 });
  });

  test("a kind nobody prices makes the request unpriced rather than free", () => {
    const r = priceUsage(
      { provider: "openai", model: "house-model", tokens: tokens({ input: 10, output: 10 }) },
      { overrides: { "house-model": { input: 1 } } },
    );
    expect(r.status).toBe("unpriced");
    if (r.status === "unpriced") expect(r.reason).toContain("no output price");
  });
});

describe("unpriced", () => {
  test("an unknown model is unpriced, never $0", () => {
    const r = priceUsage({ provider: "openai", model: "gpt-99-ultra", tokens: tokens({ input: 10, output: 10 }) });
    expect(r).toEqual({
      status: "unpriced",
      reason: 'no price known for openai model "gpt-99-ultra": run `halton-meter pricing update` or add it under [pricing.overrides] in config.toml',
      source: "genai-prices@0.1.8/2026-09-22",
    });
  });

  test("an unknown model stays unpriced even with zero tokens", () => {
    expect(priceUsage({ provider: "anthropic", model: "claude-unknown-9", tokens: tokens({}) }).status).toBe("unpriced");
  });

  test("a known model with zero tokens (count_tokens) costs exactly 0", () => {
    expect(priceUsage({ provider: "anthropic", model: "claude-sonnet-4-5", tokens: tokens({}) })).toMatchObject({ status: "priced", costMicros: 0 });
  });

  test("no model name, or a broken token count, is unpriced with a reason", () => {
    expect(priceUsage({ provider: "anthropic", model: null, tokens: tokens({ input: 1 }) })).toEqual({
      status: "unpriced",
      reason: "the exchange named no model",
      source: "genai-prices@0.1.8/2026-09-22",
    });
    const r = priceUsage({ provider: "anthropic", model: "claude-sonnet-4-5", tokens: tokens({ input: 1.5 }) });
    expect(r).toMatchObject({ status: "unpriced", reason: "invalid input token count: 1.5" });
    expect(priceUsage({ provider: "anthropic", model: "claude-sonnet-4-5", tokens: tokens({ output: -1 }) }).status).toBe("unpriced");
  });

  test("a provider's models are not matched under another provider", () => {
    expect(priceUsage({ provider: "xai", model: "gpt-4o", tokens: tokens({ input: 1 }) }).status).toBe("unpriced");
  });
});
