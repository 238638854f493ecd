// The bundled @pydantic/genai-prices data, and only that: updatePrices() is never called, so the
// library never fetches anything (calcPrice only triggers a refresh hook that updatePrices installs).

import { calcPrice, findProvider, type ModelInfo, type ModelPrice, type Provider } from "@pydantic/genai-prices";
import type { ProviderId } from "../usage/types.ts";
import type { PriceDataInfo } from "./types.ts";

/**
 * The package ships no snapshot date. DATA_DATE is the newest dated price change recorded in the
 * bundled data (claude-opus-latest alias, 2026-09-22), ignoring announced future changes such as
 * Gemini's 2027-01-01 rates. tests/pricing checks that the installed version is still VERSION:
 * bumping the package means revisiting this date.
 */
const VERSION = "0.1.8";
const DATA_DATE = "2026-09-22";

export const LIBRARY_SOURCE = `genai-prices@${VERSION}/${DATA_DATE}`;

export function priceDataInfo(now: Date = new Date()): PriceDataInfo {
  const ageDays = Math.floor((now.getTime() - Date.parse(`${DATA_DATE}T00:00:00Z`)) / 86_400_000);
  return { version: VERSION, dataDate: DATA_DATE, source: LIBRARY_SOURCE, ageDays };
}

/** Our provider ids to the library's. */
export const LIBRARY_PROVIDER: Readonly<Record<ProviderId, string>> = {
  anthropic: "anthropic",
  openai: "openai",
  chatgpt: "openai",
  google: "google",
  "google-cloudcode": "google",
  xai: "x-ai",
};

export const LIBRARY_PROVIDER_IDS = ["anthropic", "openai", "google", "x-ai"] as const;

export interface LibraryMatch {
  providerId: string;
  model: ModelInfo;
  /** The price entry in force at the request's time, with our long-context corrections applied. */
  prices: ModelPrice;
}

const ZERO_USAGE = { input_tokens: 0, output_tokens: 0 };

/**
 * Model matching walks every entry of a provider, regexes included (~40 µs): remember the answer
 * per (provider, model name). Which dated price applies is still decided per request.
 */
const MATCH_CACHE_LIMIT = 2000;
const matches = new Map<string, { provider: Provider; model: ModelInfo } | null>();

function lookup(providerId: string, id: string, now: Date): { provider: Provider; model: ModelInfo } | null {
  const key = `${providerId}\0${id.toLowerCase()}`;
  let hit = matches.get(key);
  if (hit === undefined) {
    try {
      const found = calcPrice(ZERO_USAGE, id, { providerId, timestamp: now });
      hit = found && { provider: found.provider, model: found.model };
    } catch {
      hit = null; // an entry the library itself cannot evaluate is no price at all
    }
    if (matches.size >= MATCH_CACHE_LIMIT) matches.clear();
    matches.set(key, hit);
  }
  return hit;
}

/** The library's entry for a model, as priced at `now`; null when it knows no such model. */
export function matchLibraryModel(provider: ProviderId, model: string, now: Date): LibraryMatch | null {
  // Gemini names models "models/gemini-2.5-pro" in request paths; the library wants the bare id.
  const id = model.trim().replace(/^models\//i, "");
  const hit = lookup(LIBRARY_PROVIDER[provider], id, now);
  if (!hit) return null;
  const prices = libraryPricesAt(hit.provider, hit.model, now);
  return prices && { providerId: hit.provider.id, model: hit.model, prices };
}

/** A provider's models as the library lists them (for `pricing list`). */
export function libraryProvider(providerId: string): Provider | undefined {
  return findProvider({ providerId });
}

/** One model's prices at `now`, using the library's own date-constraint selection. */
export function libraryPricesAt(provider: Provider, model: ModelInfo, now: Date): ModelPrice | null {
  if (!Array.isArray(model.prices)) return corrected(provider.id, model.id, model.prices);
  const probe = "halton-meter-price-probe";
  const single: Provider = { id: provider.id, name: provider.name, api_pattern: provider.api_pattern, models: [{ ...model, match: { equals: probe } }] };
  try {
    const found = calcPrice(ZERO_USAGE, probe, { provider: single, timestamp: now });
    return found ? corrected(provider.id, model.id, found.model_price) : null;
  } catch {
    return null;
  }
}

/**
 * Long-context tiers the bundled data misses. Anthropic billed Claude Sonnet 4 requests over 200k
 * input tokens (1M-context beta) at 2× input and cache rates and 1.5× output, exactly as for
 * Sonnet 4.5, which the library does tier. Applied only where the library's price is still flat,
 * so a fixed library wins.
 */
const LONG_CONTEXT_CORRECTIONS: Record<string, { above: number; factors: Record<string, number> }> = {
  "anthropic/claude-sonnet-4-0": {
    above: 200_000,
    factors: { input_mtok: 2, cache_write_mtok: 2, cache_write_1h_mtok: 2, cache_read_mtok: 2, output_mtok: 1.5 },
  },
};

function corrected(providerId: string, modelId: string, prices: ModelPrice): ModelPrice {
  const fix = LONG_CONTEXT_CORRECTIONS[`${providerId}/${modelId}`];
  if (!fix) return prices;
  const out: ModelPrice = { ...prices };
  for (const [key, factor] of Object.entries(fix.factors)) {
    const base = prices[key];
    if (typeof base === "number") out[key] = { base, tiers: [{ start: fix.above, price: base * factor }] };
  }
  return out;
}
