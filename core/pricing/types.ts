// Public shapes of the pricing module. Money leaves this module as integer micro-dollars
// (USD × 1e6); per-million-token rates stay plain numbers because that is how people write them.

import type { ProviderId, TokenCounts } from "../usage/types.ts";
import type { PriceData } from "./data.ts";

/** One model's prices from `[pricing.overrides]` in config.toml, in USD per million tokens. */
export interface PriceOverride {
  input?: number;
  output?: number;
  cache_read?: number;
  cache_write_5m?: number;
  cache_write_1h?: number;
}

/** `[pricing.overrides]` table: model id (exact match, case-insensitive) to its prices. */
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
  /** The genai-prices data to use. Default: this process's current data (active.ts). */
  data?: PriceData;
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
      /** "genai-prices@<version>/<data date>" or "config" when a [pricing.overrides] entry applied. */
      source: string;
      /** The price entry that matched (library model id, or the override's key). */
      matchedModel: string;
      /** Per kind, each rounded half-up on its own: the parts may differ from the total by a few micros. */
      breakdown: PriceBreakdown;
      /** True when a long-context tier applied to this request. */
      longContext: boolean;
      batch: boolean;
    }
  | {
      status: "unpriced";
      reason: string;
      /** The data that could not price it ("genai-prices@<version>/<data date>"): a newer one may. */
      source: string;
    };

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
  /** YYYY-MM-DD: how fresh the price data is (see data.ts for how it is fixed). */
  dataDate: string;
  source: string;
  /** Whole days from dataDate to now: doctor's "price-data age". */
  ageDays: number;
  /** The data bundled with halton-meter, or a file `pricing update` installed. */
  origin: "bundled" | "installed";
  /** Where installed data came from (a URL or a path); null for the bundled data. */
  from: string | null;
}
