// Public shapes of the pricing module. Money leaves this module as integer micro-dollars
// (USD × 1e6); per-million-token rates stay plain numbers because that is how people write them.

import type { ProviderId, TokenCounts } from "../usage/types.ts";

/** One model's prices from `[pricing]` in config.toml, in USD per million tokens. */
export interface PriceOverride {
  input?: number;
  output?: number;
  cache_read?: number;
  cache_write_5m?: number;
  cache_write_1h?: number;
}

/** `[pricing]` table: model id (exact match, case-insensitive) to its prices. */
export type PriceOverrides = Record<string, PriceOverride>;

/** What priceUsage needs from a UsageResult. */
export interface UsageToPrice {
  provider: ProviderId;
  model: string | null;
  tokens: TokenCounts;
  billing?: "batch" | "standard";
}

export interface PriceOptions {
  overrides?: PriceOverrides;
  /** When the request happened: selects dated price changes. Defaults to the current time. */
  now?: Date;
}

/** Micro-dollars per billed token kind (reasoning is inside output, never billed twice). */
export interface PriceBreakdown {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
}

export type PriceResult =
  | {
      status: "priced";
      /** Integer micro-dollars, rounded half-up once over the exact sum. */
      costMicros: number;
      /** "genai-prices@<version>/<data date>" or "config" when a [pricing] override applied. */
      source: string;
      /** The price entry that matched (library model id, or the override's key). */
      matchedModel: string;
      /** Per kind, each rounded half-up on its own: the parts may differ from the total by a few micros. */
      breakdown: PriceBreakdown;
      /** True when a long-context tier applied to this request. */
      longContext: boolean;
      batch: boolean;
    }
  | { status: "unpriced"; reason: string };

/** Per-million-token rates for the five billed kinds, as applied to one request. */
export interface KindRates {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
}

/** One row of `halton-meter pricing list`. */
export interface PriceListRow {
  provider: string;
  model: string;
  name: string | null;
  /** USD per million tokens at the base (short-context) tier; null where the entry sets none. */
  input: number | null;
  output: number | null;
  cacheRead: number | null;
  cacheWrite5m: number | null;
  cacheWrite1h: number | null;
  /** Rates above a long-context threshold (total input tokens), when the entry is tiered. */
  longContext: { aboveInputTokens: number; input: number | null; output: number | null } | null;
  source: string;
}

export interface PriceDataInfo {
  version: string;
  /** YYYY-MM-DD: how fresh the bundled price data is (see library.ts for how it was fixed). */
  dataDate: string;
  source: string;
  /** Whole days from dataDate to now: doctor's "price-data age". */
  ageDays: number;
}
