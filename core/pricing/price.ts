// Usage to money: one request's token counts to integer micro-dollars.

import type { TokenCounts } from "../usage/types.ts";
import { currentPriceData } from "./active.ts";
import { matchLibraryModel } from "./library.ts";
import { scaledCost, scaledRate, toMicros } from "./money.ts";
import { libraryRates, overrideRates, type AppliedRates } from "./rates.ts";
import type { KindRates, PriceBreakdown, PriceOptions, PriceOverride, PriceOverrides, PriceResult, UsageToPrice } from "./types.ts";

/** The billed kinds. Reasoning is not among them: providers count it inside output already. */
const BILLED_KINDS = ["input", "output", "cacheRead", "cacheWrite5m", "cacheWrite1h"] as const satisfies ReadonlyArray<keyof KindRates & keyof TokenCounts>;

const KIND_LABEL: Record<keyof KindRates, string> = {
  input: "input",
  output: "output",
  cacheRead: "cache read",
  cacheWrite5m: "cache write (5 min)",
  cacheWrite1h: "cache write (1 h)",
};

const NO_PRICE = "no price known for ";
const NO_MODEL = "the exchange named no model";

/**
 * Whether one "; "-separated part of a row's note is a reason priceUsage gave for leaving it
 * unpriced (the capture row appends it): reprice drops it once the row has a price.
 */
export function isUnpricedReason(part: string): boolean {
  return part.startsWith(NO_PRICE) || part === NO_MODEL || /^invalid \w+ token count: /.test(part) || Object.values(KIND_LABEL).some((label) => part.startsWith(`no ${label} price for "`));
}

/** The override for a model: exact id, case-insensitive. */
export function findOverride(overrides: PriceOverrides | undefined, model: string): [key: string, PriceOverride] | null {
  if (!overrides) return null;
  const wanted = model.trim().toLowerCase();
  for (const [key, value] of Object.entries(overrides)) {
    if (key.trim().toLowerCase() === wanted) return [key, value];
  }
  return null;
}

/**
 * Prices one exchange. A model nobody prices is `unpriced`, never $0. A known model with zero
 * tokens (count_tokens) is priced at 0: zero tokens really cost nothing. Batch requests cost half
 * of every kind (no bundled entry for these providers carries a batch price).
 */
export function priceUsage(usage: UsageToPrice, opts: PriceOptions = {}): PriceResult {
  const data = opts.data ?? currentPriceData();
  const unpriced = (reason: string): PriceResult => ({ status: "unpriced", reason, source: data.source });
  const model = usage.model?.trim();
  if (!model) return unpriced(NO_MODEL);
  const tokens = usage.tokens;
  for (const kind of [...BILLED_KINDS, "reasoning"] as const) {
    const n = tokens[kind];
    if (!Number.isSafeInteger(n) || n < 0) return unpriced(`invalid ${kind} token count: ${String(n)}`);
  }
  const totalInput = tokens.input + tokens.cacheRead + tokens.cacheWrite5m + tokens.cacheWrite1h;
  const anthropic = usage.provider === "anthropic";
  const lib = matchLibraryModel(data, usage.provider, model, opts.now ?? new Date());
  const override = findOverride(opts.overrides, model);

  let applied: AppliedRates;
  let source: string;
  let matchedModel: string;
  if (override) {
    const base = lib ? libraryRates(lib.prices, totalInput, anthropic) : null;
    applied = overrideRates(base, override[1], anthropic);
    source = "config";
    matchedModel = override[0];
  } else if (lib) {
    applied = libraryRates(lib.prices, totalInput, anthropic);
    source = data.source;
    matchedModel = lib.model.id;
  } else {
    return unpriced(`${NO_PRICE}${usage.provider} model "${model}": run \`halton-meter pricing update\` or add it under [pricing.overrides] in config.toml`);
  }

  const scaled = {} as Record<keyof KindRates, bigint>;
  for (const kind of BILLED_KINDS) {
    const rate = applied.rates[kind];
    if (rate === undefined) {
      if (tokens[kind] > 0) return unpriced(`no ${KIND_LABEL[kind]} price for "${matchedModel}" (${source})`);
      scaled[kind] = 0n;
    } else {
      scaled[kind] = scaledCost(tokens[kind], scaledRate(rate));
    }
  }
  const divisor = usage.billing === "batch" ? 2n : 1n;
  const breakdown = {} as PriceBreakdown;
  let total = 0n;
  for (const kind of BILLED_KINDS) {
    breakdown[kind] = toMicros(scaled[kind], divisor);
    total += scaled[kind];
  }
  return {
    status: "priced",
    costMicros: toMicros(total, divisor),
    source,
    matchedModel,
    breakdown,
    longContext: applied.longContext,
    batch: divisor === 2n,
  };
}
