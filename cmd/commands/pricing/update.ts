import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { defineCommand } from "citty";
import { writeFileAtomic } from "../../../core/fs/atomic.ts";
import { LIBRARY_PROVIDER_IDS } from "../../../core/pricing/data.ts";
import { inspectPriceData } from "../../../core/pricing/index.ts";
import { DEFAULT_PRICE_SOURCE, readPriceSource } from "../../../core/pricing/source.ts";
import { preparePriceData } from "../../../core/pricing/update.ts";
import { cliContext } from "../../_context.ts";
import { EXIT, UserError } from "../../_errors.ts";

const LEFT = "the price data in use was left as it was";

export default defineCommand({
  meta: {
    name: "update",
    description: "Install newer genai-prices data in the meter's folder; the CLI and the running daemon price with it from then on (downloads only when run)",
  },
  args: {
    from: { type: "string", description: `A genai-prices data.json file, or an http(s) URL (default: ${DEFAULT_PRICE_SOURCE})` },
  },
  async run({ args }) {
    // The config plays no part here: a broken one is reported, not a reason to refuse.
    const { paths, term } = cliContext(undefined, { lenient: true });
    if (args.from !== undefined && args.from.trim() === "") throw new UserError("--from needs a file or an http(s) URL", "run `halton-meter pricing update --help` to see the options", EXIT.usage);
    const given = args.from ?? DEFAULT_PRICE_SOURCE;
    const from = /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : resolve(given);
    if (args.from === undefined) term.info(`downloading ${from}`);
    const read = await readPriceSource(from);
    if (!read.ok) throw new UserError(read.message, `${read.hint}; ${LEFT}`, EXIT.failed);
    const prepared = preparePriceData(read.text, { from, now: new Date() });
    if (!prepared.ok) throw new UserError(`${from} ${prepared.message}`, LEFT, EXIT.failed);

    const before = inspectPriceData(paths.priceData).data;
    if (before.origin === "installed" && before.version === prepared.data.version) {
      term.info(`${paths.priceData} already holds this data (${before.source}); nothing was changed`);
      return EXIT.ok;
    }
    try {
      mkdirSync(paths.home, { recursive: true, mode: 0o700 });
      writeFileAtomic(paths.priceData, prepared.text);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new UserError(`cannot write ${paths.priceData}: ${code}`, `check that you own ${paths.home} and that its disk has space; ${LEFT}`, EXIT.failed);
    }
    term.success(`installed ${prepared.data.source} (${prepared.models} models of ${LIBRARY_PROVIDER_IDS.join(", ")}) in ${paths.priceData}, replacing ${before.source}`);
    term.info("the CLI prices with it now, a running daemon from its next request; `halton-meter pricing reprice` prices the stored requests again");
    return EXIT.ok;
  },
});
