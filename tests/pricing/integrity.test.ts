// Integers only, agreement with genai-prices' own arithmetic, bundled data only.

import { afterEach, describe, expect, test } from "bun:test";
import { calcPrice, findProvider } from "@pydantic/genai-prices";
import type { ProviderId } from "../../core/usage/types.ts";
import { listPrices, priceDataInfo, priceUsage } from "../../core/pricing/index.ts";
import { tokens } from "./_tokens.ts";

const OURS: Array<[ProviderId, string]> = [
  ["anthropic", "anthropic"],
  ["openai", "openai"],
  ["google", "google"],
  ["xai", "x-ai"],
];

/** Deterministic pseudo-random integers. */
function lcg(seed: number): (max: number) => number {
  let s = seed;
  return (max) => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s % max;
  };
}

describe("money is integers", () => {
  test("every cost and breakdown part is an integer and agrees with calcPrice within 1 micro", () => {
    const rand = lcg(42);
    let compared = 0;
    for (const [ours, theirs] of OURS) {
      for (const model of findProvider({ providerId: theirs })!.models) {
        const prices = Array.isArray(model.prices) ? model.prices[0]!.prices : model.prices;
        for (let i = 0; i < 20; i++) {
          const t = tokens({
            input: rand(250_000),
            output: rand(20_000),
            cacheRead: rand(3) === 0 ? 0 : rand(100_000),
            cacheWrite5m: rand(3) === 0 ? 0 : rand(10_000),
            cacheWrite1h: "cache_write_1h_mtok" in prices ? rand(10_000) : 0,
          });
          const r = priceUsage({ provider: ours, model: model.id, tokens: t });
          if (r.status !== "priced" || r.matchedModel !== model.id) continue;
          expect(Number.isInteger(r.costMicros)).toBe(true);
          for (const part of Object.values(r.breakdown)) expect(Number.isInteger(part)).toBe(true);
          const totalInput = t.input + t.cacheRead + t.cacheWrite5m + t.cacheWrite1h;
          if (model.id === "claude-sonnet-4-0" && totalInput > 200_000) continue; // our tier correction
          const lib = calcPrice(
            { input_tokens: totalInput, output_tokens: t.output, cache_read_tokens: t.cacheRead, cache_write_tokens: t.cacheWrite5m + t.cacheWrite1h, cache_write_1h_tokens: t.cacheWrite1h },
            model.id,
            { providerId: theirs },
          );
          expect(Math.abs(r.costMicros - lib!.total_price * 1e6)).toBeLessThanOrEqual(1);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(1_000);
  });
});

describe("bundled data only", () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  test("pricing and listing never fetch", () => {
    let calls = 0;
    globalThis.fetch = Object.assign(
      async () => {
        calls++;
        throw new Error("no network in pricing");
      },
      { preconnect: realFetch.preconnect },
    );
    priceUsage({ provider: "openai", model: "gpt-5", tokens: tokens({ input: 1 }) });
    expect(listPrices().length).toBeGreaterThan(100);
    expect(calls).toBe(0);
  });

  test("priceDataInfo names the installed library version (bump DATA_DATE with the package)", async () => {
    const pkg = await Bun.file(new URL("../../node_modules/@pydantic/genai-prices/package.json", import.meta.url)).json();
    const info = priceDataInfo();
    expect(info.version).toBe(pkg.version);
    expect(info.dataDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(info.source).toBe(`genai-prices@${info.version}/${info.dataDate}`);
    expect(priceDataInfo(new Date(`${info.dataDate}T23:00:00Z`)).ageDays).toBe(0);
    expect(priceDataInfo(new Date(Date.parse(`${info.dataDate}T00:00:00Z`) + 30 * 86_400_000)).ageDays).toBe(30);
  });
});

describe("listPrices", () => {
  test("library rows carry base, cache and long-context rates", () => {
    const row = listPrices({ provider: "anthropic" }).find((r) => r.model === "claude-sonnet-4-5");
    expect(row).toMatchObject({
      provider: "anthropic",
      input: 3,
      output: 15,
      cacheRead: 0.3,
      cacheWrite5m: 3.75,
      cacheWrite1h: 6,
      longContext: { aboveInputTokens: 200_000, input: 6, output: 22.5 },
    });
  });

  test("overrides come first, tagged config; the provider filter maps our ids", () => {
    const rows = listPrices({ provider: "xai", overrides: { "my-model": { input: 2, output: 3 }, "grok-4": { input: 1 } } });
    expect(rows[0]).toMatchObject({ model: "my-model", provider: "(any)", source: "config", input: 2, output: 3 });
    expect(rows[1]).toMatchObject({ model: "grok-4", provider: "x-ai", source: "config" });
    expect(rows.slice(2).every((r) => r.provider === "x-ai")).toBe(true);
    expect(rows.some((r) => r.model === "grok-4-0709" && r.input === 3 && r.output === 15)).toBe(true);
  });

  test("a partial override lists the rates really charged: its own, then the library entry it lies over", () => {
    const row = listPrices({ provider: "anthropic", overrides: { "claude-sonnet-4-5": { input: 2 } } })[0];
    expect(row).toMatchObject({ model: "claude-sonnet-4-5", source: "config", input: 2, output: 15, cacheRead: 0.3, cacheWrite5m: 3.75, cacheWrite1h: 6 });
    const charged = priceUsage({ provider: "anthropic", model: "claude-sonnet-4-5", tokens: tokens({ input: 1000, output: 1000 }) }, { overrides: { "claude-sonnet-4-5": { input: 2 } } });
    expect(charged.status === "priced" && charged.costMicros).toBe(2000 + 15_000);
  });

  test("deprecated models are hidden unless asked for", () => {
    expect(listPrices({ includeDeprecated: true }).length).toBeGreaterThanOrEqual(listPrices().length);
  });
});
