import { defineCommand } from "citty";
import { SELF_TEST_PROVIDER } from "../../core/usage/types.ts";
import { describeReadError, openReadStore } from "../../core/report/open.ts";
import { follow, tailJson, tailLine } from "../../core/report/tail.ts";
import type { RequestFilter, RequestRecord } from "../../core/store/index.ts";
import { cliContext } from "../_context.ts";
import { EXIT, UserError } from "../_errors.ts";

export default defineCommand({
  meta: { name: "tail", description: "A live line per captured request (reads the database; Ctrl-C stops)" },
  args: {
    json: { type: "boolean", description: "One JSON object per line, for scripts" },
    lines: { type: "string", alias: "n", description: "Requests already stored to show first (default 10)" },
    project: { type: "string", description: "Only this project" },
    provider: { type: "string", description: "Only this provider" },
    "include-self-test": { type: "boolean", description: "Include the installer's self-test requests" },
  },
  async run({ args }) {
    const { paths, term } = cliContext();
    const backlog = args.lines === undefined ? 10 : Number(args.lines);
    if (!Number.isInteger(backlog) || backlog < 0) throw new UserError(`--lines ${args.lines} is not a count`, "use a whole number such as 0 or 20", EXIT.usage);
    const filter: RequestFilter = {
      ...(args.project !== undefined && { project: args.project }),
      ...(args.provider !== undefined && { provider: args.provider }),
      ...(!args["include-self-test"] && { excludeProviders: [SELF_TEST_PROVIDER] }),
    };

    const stopped = new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    let done = false;
    void stopped.then(() => (done = true));

    // Before the daemon's first start there is no database to read: wait for one.
    let opened = openReadStore(paths.db);
    const waited = opened.ok && opened.empty;
    if (waited && !args.json) term.info(`waiting for the first captured request (${paths.db} is not there yet)`);
    while (opened.ok && opened.empty) {
      opened.store.close();
      await Promise.race([Bun.sleep(500), stopped]);
      if (done) return EXIT.ok;
      opened = openReadStore(paths.db);
    }
    if (!opened.ok) throw new UserError(opened.message, opened.hint);
    const print = args.json ? tailJson : tailLine;
    try {
      const onRows = (rows: RequestRecord[]) => rows.forEach((r) => term.print(print(r)));
      await follow({ store: opened.store, filter, backlog, intervalMs: 250, stopped, onRows, ...(waited && { startAfter: 0 }) });
    } catch (err) {
      const { message, hint } = describeReadError(err, paths.db);
      throw new UserError(message, hint);
    } finally {
      opened.store.close();
    }
    return EXIT.ok;
  },
});
