// Rows for `halton-meter pricing list`: [pricing.overrides] first, then the genai-prices data in use.

import type { ModelPrice } from "@pydantic/genai-prices";
import type { ProviderId } from "../usage/types.ts";
import { currentPriceData } from "./active.ts";
import { LIBRARY_PROVIDER_IDS, type PriceData } from "./data.ts";
import { LIBRARY_PROVIDER, libraryPricesAt, libraryProvider, matchLibraryModel } from "./library.ts";
import { findOverride } from "./price.ts";
import { libraryRates, overrideRates } from "./rates.ts";
import type { PriceListRow, PriceOverrides } from "./types.ts";

export interface ListPricesOptions {
  overrides?: PriceOverrides;
  /** Only this provider's models (overrides are listed whatever their provider). */
  provider?: ProviderId;
  includeDeprecated?: boolean;
  now?: Date;
  /** Default: this process's current data. */
  data?: PriceData;
}

type RawPrice = ModelPrice[string];

function base(price: RawPrice): number | null {
  if (price === undefined) return null;
  return typeof price === "number" ? price : price.base;
}

function firstTier(price: RawPrice): { start: number; price: number } | null {
  if (price === undefined || typeof price === "number") return null;
  return [...price.tiers].sort((a, b) => a.start - b.start)[0] ?? null;
}

function libraryRow(provider: string, model: string, name: string | null, prices: ModelPrice, source: string): PriceListRow {
  const inputTier = firstTier(prices.input_mtok);
  const outputTier = firstTier(prices.output_mtok);
  const above = inputTier?.start ?? outputTier?.start;
  return {
    provider,
    model,
    name,
    input: base(prices.input_mtok),
    output: base(prices.output_mtok),
    cacheRead: base(prices.cache_read_mtok),
    cacheWrite5m: base(prices.cache_write_5m_mtok) ?? base(prices.cache_write_mtok),
    cacheWrite1h: base(prices.cache_write_1h_mtok),
    longContext: above === undefined ? null : { aboveInputTokens: above, input: inputTier?.price ?? null, output: outputTier?.price ?? null },
    source,
  };
}

/** Which provider an override's model belongs to, as far as the library can tell. */
function overrideProvider(data: PriceData, model: string, now: Date): string {
  for (const ours of ["anthropic", "openai", "google", "xai"] as const) {
    const found = matchLibraryModel(data, ours, model, now);
    if (found) return found.providerId;
  }
  return "(any)";
}

const OUR_PROVIDER: Record<string, ProviderId> = { anthropic: "anthropic", openai: "openai", google: "google", "x-ai": "xai" };

/**
 * A row with the rates priceUsage really applies: a kind the entry leaves out falls back as it
 * does (cache reads and writes at the input rate, Anthropic 1 h writes at 2× input), and an
 * override's missing kinds come from the library entry it lies over. "-" is left only where a
 * token of that kind would make the request unpriced.
 */
function inForce(data: PriceData, row: PriceListRow, overrides: PriceOverrides, now: Date): PriceListRow {
  const ours = OUR_PROVIDER[row.provider];
  const anthropic = ours === "anthropic";
  const found = ours ? matchLibraryModel(data, ours, row.model, now) : null;
  const lib = found && (row.source === "config" || found.model.id === row.model) ? libraryRates(found.prices, 0, anthropic) : null;
  const override = row.source === "config" ? findOverride(overrides, row.model) : null;
  const rates = override ? overrideRates(lib, override[1], anthropic).rates : lib?.rates;
  if (!rates) return row;
  const n = (v: number | undefined) => v ?? null;
  return { ...row, input: n(rates.input), output: n(rates.output), cacheRead: n(rates.cacheRead), cacheWrite5m: n(rates.cacheWrite5m), cacheWrite1h: n(rates.cacheWrite1h) };
}

/** The price table as priceUsage applies it: overrides first, then the genai-prices data. */
export function listPrices(opts: ListPricesOptions = {}): PriceListRow[] {
  const now = opts.now ?? new Date();
  const data = opts.data ?? currentPriceData();
  const rows: PriceListRow[] = [];
  for (const [model, o] of Object.entries(opts.overrides ?? {})) {
    rows.push({
      provider: overrideProvider(data, model, now),
      model,
      name: null,
      input: o.input ?? null,
      output: o.output ?? null,
      cacheRead: o.cache_read ?? null,
      cacheWrite5m: o.cache_write_5m ?? null,
      cacheWrite1h: o.cache_write_1h ?? null,
      longContext: null,
      source: "config",
    });
  }
  const providers = opts.provider ? [LIBRARY_PROVIDER[opts.provider]] : LIBRARY_PROVIDER_IDS;
  for (const id of providers) {
    const provider = libraryProvider(data, id);
    if (!provider) continue;
    for (const model of provider.models) {
      if (model.deprecated && !opts.includeDeprecated) continue;
      const prices = libraryPricesAt(provider, model, now);
      if (prices) rows.push(libraryRow(provider.id, model.id, model.name ?? null, prices, data.source));
    }
  }
  return rows.map((r) => inForce(data, r, opts.overrides ?? {}, now));
}
