import { defineCommand } from "citty";
import { limitsWithAlerts } from "../../core/budgets/state.ts";
import { limitsJson } from "../../core/limits/report.ts";
import { ADAPTERS } from "../../core/providers/index.ts";
import { renderLimits } from "../../core/limits/text.ts";
import { parseDuration } from "../../core/time/duration.ts";
import { cliContext } from "../_context.ts";
import { EXIT, UserError } from "../_errors.ts";
import { readingStore, terminalWidth } from "../_read.ts";

export default defineCommand({
  meta: {
    name: "limits",
    description: "The providers' own limit windows per account (5-hour, weekly, rate limits): used, reset, pace and when it fills (works while the daemon is down)",
  },
  args: {
    json: { type: "boolean", description: "Print JSON" },
    provider: { type: "string", description: "Only this provider: anthropic, openai, chatgpt" },
    pace: { type: "string", description: "How far back the pace looks: 30m, 2h (default 1h)" },
  },
  run({ args }) {
    const { paths, config, term } = cliContext();
    const providers = ADAPTERS.map((a) => a.provider);
    if (args.provider !== undefined && !providers.includes(args.provider as never)) {
      throw new UserError(`--provider ${args.provider} is not a provider`, `use one of: ${providers.join(", ")}`, EXIT.usage);
    }
    let lookbackMs: number | undefined;
    if (args.pace !== undefined) {
      const d = parseDuration(args.pace);
      if (!d.ok || d.ms < 60_000) throw new UserError(d.ok ? "--pace must be at least 1m" : `--pace: ${d.message}`, undefined, EXIT.usage);
      lookbackMs = d.ms;
    }
    return readingStore(paths.db, ({ store }) => {
      const report = limitsWithAlerts(store, config.budgets, Date.now(), { provider: args.provider, lookbackMs });
      if (args.json) term.print(JSON.stringify(limitsJson(report), null, 2));
      else for (const line of renderLimits(report, terminalWidth())) term.print(line);
      return EXIT.ok;
    });
  },
});
