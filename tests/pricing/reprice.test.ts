// A stored row priced again: from what the row kept (provider, endpoint, model, tokens, time).

import { describe, expect, test } from "bun:test";
import { BUNDLED, priceUsage } from "../../core/pricing/index.ts";
import { repricer } from "../../core/pricing/reprice.ts";
import { tokens } from "./_tokens.ts";

const row = (over: Partial<Parameters<ReturnType<typeof repricer>>[0]> = {}) => ({
  provider: "anthropic",
  endpoint: "messages",
  model: "claude-sonnet-4-5",
  startedAt: Date.UTC(2026, 9, 1),
  tokens: tokens({ input: 1_000, output: 1_000 }),
  note: null,
  ...over,
});

describe("repricer", () => {
  const reprice = repricer({ overrides: { "house-model": { input: 1, output: 2 } }, data: BUNDLED });

  test("the price priceUsage gives the same usage, with the data's name", () => {
    expect(reprice(row())).toEqual({ costMicros: 18_000, source: BUNDLED.source, note: null });
    expect(reprice(row({ model: "house-model" }))).toMatchObject({ costMicros: 3_000, source: "config" });
  });

  test("Anthropic batch results (endpoint batches) cost half, as when they were captured", () => {
    const captured = priceUsage({ provider: "anthropic", model: "claude-sonnet-4-5", tokens: tokens({ input: 1_000, output: 1_000 }), billing: "batch" });
    expect(reprice(row({ endpoint: "batches" }))?.costMicros).toBe(captured.status === "priced" ? captured.costMicros : -1);
    expect(reprice(row({ endpoint: "batches" }))?.costMicros).toBe(9_000);
  });

  test("the old reason for no price leaves the note, the rest of it stays", () => {
    const note = 'the response was cut off before its end; no price known for anthropic model "house-model": add it under [pricing] in config.toml';
    expect(reprice(row({ model: "house-model", note }))?.note).toBe("the response was cut off before its end");
    expect(reprice(row({ model: "house-model", note: "the exchange named no model" }))?.note).toBeNull();
    expect(reprice(row({ note: "usage cache_write_tokens not a token count; counted as 0" }))?.note).toBe("usage cache_write_tokens not a token count; counted as 0");
  });

  test("nobody's price, or a provider this build does not price: null", () => {
    expect(reprice(row({ model: "claude-unknown-9" }))).toBeNull();
    expect(reprice(row({ provider: "halton-meter" }))).toBeNull();
    expect(reprice(row({ provider: "toString" }))).toBeNull();
  });

  test("dated price changes follow the row's start time", () => {
    const sol = (at: string) => reprice(row({ provider: "openai", model: "gpt-5.6-sol", startedAt: Date.parse(at), tokens: tokens({ input: 100_000 }) }))?.costMicros;
    expect([sol("2026-08-01T00:00:00Z"), sol("2026-09-01T00:00:00Z")]).toEqual([500_000, 400_000]);
  });
});
