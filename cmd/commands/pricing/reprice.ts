import { existsSync } from "node:fs";
import { defineCommand } from "citty";
import { usePriceDataFile } from "../../../core/pricing/index.ts";
import { repricer } from "../../../core/pricing/reprice.ts";
import { usd } from "../../../core/report/format.ts";
import { parseInstant, parsePeriodLength } from "../../../core/report/period.ts";
import { openStore, repriceRows, sqliteCode, StoreError, type RepriceResult } from "../../../core/store/index.ts";
import { cliContext } from "../../_context.ts";
import { EXIT, UserError } from "../../_errors.ts";

/** A date or time (as `report --from` takes it), or a length of time back from now (as `report --since`). */
function sinceOf(text: string, now: number): number {
  const at = parseInstant(text);
  if (at.ok) return at.value.ms;
  const ago = parsePeriodLength(text);
  if (ago.ok) return now - ago.value.ms;
  throw new UserError(`--since: "${text}" is neither a date nor a length of time`, "use 2026-06-01, 2026-06-01T14:30, an ISO time such as 2026-06-01T14:30:00Z, or a length such as 7d", EXIT.usage);
}

const n = (count: number) => count.toLocaleString("en-US");
const signed = (micros: number) => (micros > 0 ? `+${usd(micros, true)}` : usd(micros, true));

function summary(r: RepriceResult, dryRun: boolean): string[] {
  if (r.changed === 0) return [`${n(r.checked)} requests checked: every stored cost already matches these prices; nothing was written`];
  const lines = [`${n(r.checked)} requests checked: ${n(r.changed)} ${dryRun ? "would be repriced" : "repriced"} (${n(r.newlyPriced)} had no price), cost ${signed(r.deltaMicros)}`];
  if (r.rollupRebuilt) lines.push("the daily rollup disagreed with the rows and was rebuilt from them");
  if (dryRun) lines.push("--dry-run: nothing was written");
  return lines;
}

export default defineCommand({
  meta: {
    name: "reprice",
    description: "Price the stored requests again with the price data in use and [pricing.overrides]; rows whose cost does not change are left alone (works with the daemon running)",
  },
  args: {
    since: { type: "string", description: "Only requests from then on: 2026-06-01 (local midnight), 2026-06-01T14:30, an ISO time, or a length back from now such as 7d" },
    "dry-run": { type: "boolean", description: "Say what would change; write nothing" },
  },
  run({ args }) {
    const { paths, config, term } = cliContext();
    const since = args.since === undefined ? undefined : sinceOf(args.since, Date.now());
    const dryRun = args["dry-run"] === true;
    if (!existsSync(paths.db)) throw new UserError(`no requests stored yet (${paths.db} does not exist): nothing to reprice`, "the daemon creates it when it captures its first request", EXIT.failed);
    const { data, warning } = usePriceDataFile(paths.priceData);
    if (warning) term.warn(warning);
    const overrides = config.pricing.overrides;
    const count = Object.keys(overrides).length;
    term.print(`Prices: ${data.source}${count ? `, and ${count} override${count === 1 ? "" : "s"} from [pricing.overrides] in ${paths.config}` : ""}`);

    let store;
    try {
      store = openStore(paths.db);
    } catch (err) {
      if (err instanceof StoreError) throw new UserError(err.message, err.hint ?? undefined);
      throw err;
    }
    try {
      const result = repriceRows(store, { since, dryRun, price: repricer({ overrides, data }) });
      for (const line of summary(result, dryRun)) term.print(line);
      if (result.stillUnpriced > 0) term.print(`${n(result.stillUnpriced)} still without a price: \`halton-meter doctor\` names their models and how to price them`);
      if (result.keptPriced > 0) term.print(`${n(result.keptPriced)} priced before but not by these prices: their cost was kept`);
      return EXIT.ok;
    } catch (err) {
      if (sqliteCode(err)?.startsWith("SQLITE_BUSY")) {
        throw new UserError(`${paths.db} stayed locked by another writer`, "run it again: rows already repriced are left alone, the rest are done then", EXIT.failed);
      }
      throw err;
    } finally {
      store.close();
    }
  },
});
