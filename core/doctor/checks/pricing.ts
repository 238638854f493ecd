// The price data in use (bundled, or installed by `pricing update`) and its age, and the stored
// requests nobody could price, with the lines that would price them.

import { existsSync } from "node:fs";
import { inspectPriceData, priceDataInfo } from "../../pricing/index.ts";
import { openStoreReadOnly, summaryCube, type BreakdownRow } from "../../store/index.ts";
import { SELF_TEST_PROVIDER } from "../../usage/types.ts";
import type { DoctorContext } from "../context.ts";
import { finding, type Finding } from "../types.ts";

const PRICE_DATA_WARN_DAYS = 180;
/** Models named in the finding; the rest are counted. */
const TOP_MODELS = 5;

export function checkPriceData(ctx: DoctorContext): Finding {
  const { data, warning } = inspectPriceData(ctx.paths.priceData);
  if (warning) return finding("price-data", "warn", warning, `run \`halton-meter pricing update\` to install the data again, or delete ${ctx.paths.priceData} to price with the bundled data`);
  const info = priceDataInfo(ctx.now(), data);
  const what = info.origin === "installed" ? `${info.source}, installed by \`pricing update\` from ${info.from}` : `${info.source} (bundled)`;
  const detail = `${what}: prices as of ${info.dataDate} (${info.ageDays} days old)`;
  if (info.ageDays > PRICE_DATA_WARN_DAYS) {
    return finding("price-data", "warn", `${detail}: newer models may be unpriced and changed prices missed`, "run `halton-meter pricing update` for the newest genai-prices data; or pin prices in config.toml [pricing.overrides]");
  }
  return finding("price-data", "ok", detail);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** One [pricing.overrides] line for a model, with a placeholder for each kind of token its requests used. */
function overrideLine(g: BreakdownRow): string {
  const kinds = ["input", "output"];
  if (g.cacheReadTokens > 0) kinds.push("cache_read");
  if (g.cacheWrite5mTokens > 0) kinds.push("cache_write_5m");
  if (g.cacheWrite1hTokens > 0) kinds.push("cache_write_1h");
  return `${JSON.stringify(g.keys[1])} = { ${kinds.map((k) => `${k} = <price>`).join(", ")} }`;
}

export function checkUnpriced(ctx: DoctorContext): Finding {
  const path = ctx.paths.db;
  if (!existsSync(path)) return finding("unpriced", "ok", "no requests stored yet");
  let store;
  try {
    store = openStoreReadOnly(path, { busyTimeoutMs: 2000 });
  } catch {
    return finding("unpriced", "skip", "the database cannot be read (see the store check)");
  }
  let groups: BreakdownRow[];
  try {
    groups = summaryCube(store, { dims: ["provider", "model"], excludeProviders: [SELF_TEST_PROVIDER] }).by(["provider", "model"]);
  } catch (err) {
    return finding("unpriced", "skip", `the stored requests cannot be counted: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    store.close();
  }
  const unpriced = groups.filter((g) => g.unpricedRequests > 0).sort((a, b) => b.unpricedRequests - a.unpricedRequests);
  if (unpriced.length === 0) return finding("unpriced", "ok", "every metered request stored has a price");
  const total = unpriced.reduce((n, g) => n + g.unpricedRequests, 0);
  const top = unpriced.slice(0, TOP_MODELS);
  const named = top.map((g) => `${g.keys[0]} ${g.keys[1] ?? "(no model named)"} (${g.unpricedRequests})`).join(", ");
  const more = unpriced.length > TOP_MODELS ? `, and ${plural(unpriced.length - TOP_MODELS, "more model")}` : "";
  const lines = top.filter((g) => g.keys[1] !== null).map(overrideLine);
  const hint = [
    "run `halton-meter pricing update` for newer genai-prices data" +
      (lines.length ? ", or put each model's prices (USD per million tokens) in config.toml as below; then `halton-meter pricing reprice` prices the stored requests" : ", then `halton-meter pricing reprice`"),
    ...(lines.length ? ["[pricing.overrides]", ...lines] : []),
  ].join("\n");
  return finding("unpriced", "warn", `${plural(total, "stored request")} without a price: ${named}${more}`, hint);
}
