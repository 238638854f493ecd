// Which per-million-token rate applies to each billed token kind of one request.

import type { ModelPrice } from "@pydantic/genai-prices";
import type { KindRates, PriceOverride } from "./types.ts";

type RawPrice = ModelPrice[string];

export interface AppliedRates {
  /** undefined = nobody prices this kind for this model. */
  rates: { [K in keyof KindRates]: number | undefined };
  longContext: boolean;
}

/**
 * The library's rate for one price key. Tiered prices pick the tier by the request's total input
 * tokens (uncached + cache read + cache writes) and apply it to the whole request, as Anthropic
 * and Google bill long context; this mirrors genai-prices' own tier selection (start is exclusive).
 */
function rateAt(price: RawPrice, totalInput: number): { rate: number | undefined; tiered: boolean } {
  if (price === undefined) return { rate: undefined, tiered: false };
  if (typeof price === "number") return { rate: price, tiered: false };
  let rate = price.base;
  let tiered = false;
  for (const tier of [...price.tiers].sort((a, b) => a.start - b.start)) {
    if (totalInput > tier.start) {
      rate = tier.price;
      tiered = true;
    }
  }
  return { rate, tiered };
}

/**
 * Rates from a library price entry. Kinds the entry does not price fall back as genai-prices
 * does (cache tokens without their own rate bill as input; 1 h writes without a 1 h rate bill at
 * the cache-write rate), except that an Anthropic 1 h write without a 1 h rate costs 2× base
 * input, Anthropic's published multiplier.
 */
export function libraryRates(prices: ModelPrice, totalInput: number, anthropic: boolean): AppliedRates {
  let longContext = false;
  const at = (key: string): number | undefined => {
    const { rate, tiered } = rateAt(prices[key], totalInput);
    longContext ||= tiered;
    return rate;
  };
  const input = at("input_mtok");
  const cacheWrite = at("cache_write_mtok");
  const cacheWrite5m = at("cache_write_5m_mtok") ?? cacheWrite ?? input;
  const explicit1h = at("cache_write_1h_mtok");
  const derived1h = anthropic && input !== undefined ? input * 2 : (cacheWrite ?? input);
  return {
    rates: {
      input,
      output: at("output_mtok"),
      cacheRead: at("cache_read_mtok") ?? input,
      cacheWrite5m,
      cacheWrite1h: explicit1h ?? derived1h,
    },
    longContext,
  };
}

/**
 * A [pricing] override laid over the library's rates (or over nothing for a model the library
 * does not know). Override rates are flat: they win at every context length.
 */
export function overrideRates(base: AppliedRates | null, override: PriceOverride, anthropic: boolean): AppliedRates {
  const lib = base?.rates;
  const input = override.input ?? lib?.input;
  const cacheWrite5m = override.cache_write_5m ?? lib?.cacheWrite5m ?? input;
  const derived1h = anthropic && input !== undefined ? input * 2 : cacheWrite5m;
  return {
    rates: {
      input,
      output: override.output ?? lib?.output,
      cacheRead: override.cache_read ?? lib?.cacheRead ?? input,
      cacheWrite5m,
      cacheWrite1h: override.cache_write_1h ?? lib?.cacheWrite1h ?? derived1h,
    },
    longContext: base?.longContext ?? false,
  };
}
