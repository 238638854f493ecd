import { defineCommand } from "citty";
import { listPrices, priceDataInfo, usePriceDataFile } from "../../../core/pricing/index.ts";
import { LIBRARY_PROVIDER } from "../../../core/pricing/library.ts";
import type { PriceDataInfo } from "../../../core/pricing/types.ts";
import type { ProviderId } from "../../../core/usage/types.ts";
import { cliContext } from "../../_context.ts";
import { EXIT, UserError } from "../../_errors.ts";
import { renderPriceTable, terminalWidth } from "./_table.ts";

const PROVIDERS = Object.keys(LIBRARY_PROVIDER) as ProviderId[];

/** The table's first line: which data, and how old. */
function dataLine(info: PriceDataInfo): string {
  const age = `${info.ageDays} days old`;
  if (info.origin === "bundled") return `Prices from genai-prices@${info.version}, data of ${info.dataDate} (${age})`;
  return `Prices from genai-prices data ${info.version}, installed ${info.dataDate} from ${info.from} (${age})`;
}

export default defineCommand({
  meta: { name: "list", description: "Show the price table in use: genai-prices data (bundled, or installed by `pricing update`) plus [pricing.overrides] from config.toml" },
  args: {
    provider: { type: "string", description: `Only this provider's models (${PROVIDERS.join(", ")})` },
    model: { type: "string", description: "Only models whose id or name contains this text" },
    json: { type: "boolean", description: "Print JSON" },
  },
  run({ args }) {
    const { config, paths, term } = cliContext();
    const provider = args.provider?.toLowerCase();
    if (provider !== undefined && !PROVIDERS.includes(provider as ProviderId)) {
      throw new UserError(`unknown provider "${args.provider}"`, `use one of: ${PROVIDERS.join(", ")}`, EXIT.usage);
    }
    const { data, warning } = usePriceDataFile(paths.priceData);
    if (warning) term.warn(warning);
    const libraryId = provider === undefined ? undefined : LIBRARY_PROVIDER[provider as ProviderId];
    const needle = args.model?.toLowerCase();
    const overrides = config.pricing.overrides;
    const rows = listPrices({ overrides, provider: provider as ProviderId | undefined, data }).filter(
      (r) =>
        (libraryId === undefined || r.source !== "config" || r.provider === libraryId || r.provider === "(any)") &&
        (needle === undefined || r.model.toLowerCase().includes(needle) || (r.name?.toLowerCase().includes(needle) ?? false)),
    );
    const info = priceDataInfo(new Date(), data);
    if (args.json) {
      term.print(JSON.stringify({ data: info, overrides: { count: Object.keys(overrides).length, file: paths.config }, unit: "USD per million tokens", prices: rows }, null, 2));
      return EXIT.ok;
    }
    if (rows.length === 0) {
      const what = [provider && `provider ${provider}`, needle && `"${args.model}"`].filter(Boolean).join(" and ");
      throw new UserError(`no price matches ${what}`, "run `halton-meter pricing list` without filters to see every model", EXIT.failed);
    }
    term.print(dataLine(info));
    const count = Object.keys(overrides).length;
    if (count > 0) term.print(`* ${count} override${count === 1 ? "" : "s"} from [pricing] in ${paths.config}`);
    term.print("USD per million tokens");
    term.print("");
    for (const l of renderPriceTable(rows, terminalWidth())) term.print(l);
    return EXIT.ok;
  },
});
