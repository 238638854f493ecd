// genai-prices' matching and date selection over one PriceData (bundled or installed). The
// library's updatePrices() is never called, so it never fetches anything; installed data is handed
// to calcPrice as an explicit provider. (Its fallback_model_providers, which none of our providers
// but Google's Vertex-hosted Claude uses, still resolve against the bundled list.)

import { calcPrice, type ModelInfo, type ModelPrice, type Provider } from "@pydantic/genai-prices";
import type { ProviderId } from "../usage/types.ts";
import { LIBRARY_PROVIDER_IDS, type PriceData } from "./data.ts";

/** Our provider ids to the library's. */
export const LIBRARY_PROVIDER: Readonly<Record<ProviderId, string>> = {
  anthropic: "anthropic",
  openai: "openai",
  chatgpt: "openai",
  google: "google",
  "google-cloudcode": "google",
  xai: "x-ai",
};

export interface LibraryMatch {
  providerId: string;
  model: ModelInfo;
  /** The price entry in force at the request's time, with our long-context corrections applied. */
  prices: ModelPrice;
}

const ZERO_USAGE = { input_tokens: 0, output_tokens: 0 };

/**
 * Model matching walks every entry of a provider, regexes included (~40 µs): remember the answer
 * per (provider, model name), per data. Which dated price applies is still decided per request.
 */
const MATCH_CACHE_LIMIT = 2000;
const matchCaches = new WeakMap<PriceData, Map<string, { provider: Provider; model: ModelInfo } | null>>();

function lookup(data: PriceData, providerId: string, id: string, now: Date): { provider: Provider; model: ModelInfo } | null {
  let matches = matchCaches.get(data);
  if (!matches) matchCaches.set(data, (matches = new Map()));
  const key = `${providerId}\0${id.toLowerCase()}`;
  let hit = matches.get(key);
  if (hit === undefined) {
    const provider = data.providers.get(providerId);
    try {
      const found = provider ? calcPrice(ZERO_USAGE, id, { provider, timestamp: now }) : null;
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
export function matchLibraryModel(data: PriceData, provider: ProviderId, model: string, now: Date): LibraryMatch | null {
  // Gemini names models "models/gemini-2.5-pro" in request paths; the library wants the bare id.
  const id = model.trim().replace(/^models\//i, "");
  const hit = lookup(data, LIBRARY_PROVIDER[provider], id, now);
  if (!hit) return null;
  const prices = libraryPricesAt(hit.provider, hit.model, now);
  return prices && { providerId: hit.provider.id, model: hit.model, prices };
}

/** A provider's models as the data lists them (for `pricing list`). */
export function libraryProvider(data: PriceData, providerId: string): Provider | undefined {
  return data.providers.get(providerId);
}

/**
 * The first of our models the library cannot evaluate (data written for a newer genai-prices
 * that this one cannot read), as "openai model gpt-x: why"; null when all can be.
 */
export function firstUnpriceable(providers: readonly Provider[], now: Date): string | null {
  const wanted = new Set<string>(LIBRARY_PROVIDER_IDS);
  for (const provider of providers) {
    if (!wanted.has(provider.id)) continue;
    for (const model of provider.models) {
      try {
        calcPrice({ input_tokens: 1, output_tokens: 1 }, PROBE, { provider: probe(provider, model), timestamp: now });
      } catch (err) {
        return `${provider.id} model ${model.id}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  }
  return null;
}

const PROBE = "halton-meter-price-probe";

/** A provider holding only `model`, matched by PROBE: the library then evaluates that entry alone. */
function probe(provider: Provider, model: ModelInfo): Provider {
  return { id: provider.id, name: provider.name, api_pattern: provider.api_pattern, models: [{ ...model, match: { equals: PROBE } }] };
}

/** One model's prices at `now`, using the library's own date-constraint selection. */
export function libraryPricesAt(provider: Provider, model: ModelInfo, now: Date): ModelPrice | null {
  if (!Array.isArray(model.prices)) return corrected(provider.id, model.id, model.prices);
  try {
    const found = calcPrice(ZERO_USAGE, PROBE, { provider: probe(provider, model), timestamp: now });
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
