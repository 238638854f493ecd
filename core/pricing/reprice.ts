// Stored rows priced again (`pricing reprice`) with one data and the config's overrides: what a
// row keeps (provider, endpoint, model, tokens by kind, start time) is all a price needs.

import type { ProviderId, TokenCounts } from "../usage/types.ts";
import type { PriceData } from "./data.ts";
import { LIBRARY_PROVIDER } from "./library.ts";
import { isUnpricedReason, priceUsage } from "./price.ts";
import type { PriceOverrides } from "./types.ts";

export interface StoredUsage {
  provider: string;
  endpoint: string | null;
  model: string | null;
  startedAt: number;
  tokens: TokenCounts;
  note: string | null;
}

const isProviderId = (p: string): p is ProviderId => Object.hasOwn(LIBRARY_PROVIDER, p);

/** A note without the reason it once had no price: parts are joined with "; " (core/capture/row.ts). */
function withoutUnpricedReason(note: string | null): string | null {
  if (note === null) return null;
  return note.split("; ").filter((part) => !isUnpricedReason(part)).join("; ") || null;
}

/**
 * The repricing function for `repriceRows` (core/store/reprice.ts): the row's price now, or null
 * when nobody prices it. Anthropic batch results are the only batch-billed rows (endpoint
 * "batches", core/providers/anthropic.ts) and cost half again.
 */
export function repricer(opts: { overrides: PriceOverrides; data: PriceData }) {
  return function reprice(row: StoredUsage): { costMicros: number; source: string; note: string | null } | null {
    if (!isProviderId(row.provider)) return null;
    const billing = row.provider === "anthropic" && row.endpoint === "batches" ? "batch" : "standard";
    const p = priceUsage({ provider: row.provider, model: row.model, tokens: row.tokens, billing }, { overrides: opts.overrides, data: opts.data, now: new Date(row.startedAt) });
    if (p.status !== "priced") return null;
    return { costMicros: p.costMicros, source: p.source, note: withoutUnpricedReason(row.note) };
  };
}
