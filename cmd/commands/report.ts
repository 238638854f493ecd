import { defineCommand } from "citty";
import { BLOCK_CSV_HEADER, blockCsvRows, blockReportJson, buildBlockReport, renderBlocks } from "../../core/report/block-report.ts";
import { csvLine, reportCsv } from "../../core/report/csv.ts";
import { reportJson } from "../../core/report/json.ts";
import { buildReport, GROUP_BYS } from "../../core/report/model.ts";
import { resolvePeriod } from "../../core/report/period.ts";
import { renderText } from "../../core/report/text.ts";
import type { GroupBy } from "../../core/store/index.ts";
import { cliContext } from "../_context.ts";
import { EXIT, UserError } from "../_errors.ts";
import { readingStore, terminalWidth } from "../_read.ts";

export default defineCommand({
  meta: {
    name: "report",
    description: "Spend and usage from the local database (works while the daemon is down). Default: the last 30 days by project",
  },
  args: {
    since: { type: "string", description: "How far back: 30m, 24h, 7d, 2w (default 30d)" },
    from: { type: "string", description: "Start: 2026-06-01 (local midnight), 2026-06-01T14:30 or an ISO time" },
    to: { type: "string", description: "End: a date includes that whole day; a time is exclusive (default now)" },
    by: { type: "string", description: "Group by project, model, provider, client, day, or block (5-hour billing blocks) (default project)" },
    project: { type: "string", description: "Only this project" },
    provider: { type: "string", description: "Only this provider (with --by block: chatgpt follows Codex's 5-hour window)" },
    "vs-previous": { type: "boolean", description: "Compare with the period of the same length just before" },
    json: { type: "boolean", description: "Print JSON" },
    csv: { type: "boolean", description: "Print CSV" },
    "include-self-test": { type: "boolean", description: "Include the installer's self-test requests (provider halton-meter)" },
  },
  run({ args }) {
    const { paths, term } = cliContext();
    if (args.json && args.csv) throw new UserError("choose one of --json and --csv", undefined, EXIT.usage);
    const by = (args.by ?? "project") as GroupBy | "block";
    if (by !== "block" && !GROUP_BYS.includes(by)) throw new UserError(`--by ${args.by} is not a grouping`, `use one of: ${GROUP_BYS.join(", ")}, block`, EXIT.usage);
    if (by === "block" && args["vs-previous"]) throw new UserError("--vs-previous does not apply to --by block", undefined, EXIT.usage);
    const period = resolvePeriod({ since: args.since, from: args.from, to: args.to });
    if (!period.ok) throw new UserError(period.message, "run `halton-meter report --help` for the accepted forms", EXIT.usage);

    return readingStore(paths.db, (opened) => {
      const { store } = opened;
      if (by === "block") {
        const blocks = buildBlockReport(store, { period: period.value, project: args.project, provider: args.provider, includeSelfTest: args["include-self-test"] }, Date.now());
        if (args.json) term.print(JSON.stringify(blockReportJson(blocks), null, 2));
        else if (args.csv) for (const row of [BLOCK_CSV_HEADER, ...blockCsvRows(blocks)]) term.print(csvLine(row));
        else if (opened.empty) term.info(opened.message);
        else for (const line of renderBlocks(blocks, terminalWidth())) term.print(line);
        return EXIT.ok;
      }
      const data = buildReport(store, { period: period.value, by, project: args.project, provider: args.provider, vsPrevious: args["vs-previous"], includeSelfTest: args["include-self-test"] });
      if (args.json) term.print(JSON.stringify(reportJson(data), null, 2));
      else if (args.csv) for (const line of reportCsv(data)) term.print(line);
      else if (opened.empty) term.info(opened.message);
      else for (const line of renderText(data, terminalWidth())) term.print(line);
      return EXIT.ok;
    });
  },
});
