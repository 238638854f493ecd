// `halton-meter statusline`: Claude Code's statusLine command. cmd/halton-meter.ts runs it before
// citty is loaded (a prompt refresh should pay for nothing else); the command object below only
// lists it in `halton-meter --help`. It prints one line and exits 0 whatever happens.

import { readFileSync } from "node:fs";
import type { CommandDef } from "citty";
import { meterHome, statePaths } from "../../core/paths.ts";
import type { Store } from "../../core/store/open.ts";
import { runStatusline } from "../../core/statusline/run.ts";
import { readStdin } from "../../core/statusline/stdin.ts";

/**
 * The `[budgets]` alerts in effect, first on the line. The config is parsed only when it names
 * budgets at all: its parser would cost every prompt refresh something for nothing.
 */
async function budgetNotices(configFile: string): Promise<((store: Store, nowMs: number) => string[]) | undefined> {
  let text: string;
  try {
    text = readFileSync(configFile, "utf8");
  } catch {
    return undefined;
  }
  if (!/^\s*\[budgets[\].]/m.test(text)) return undefined;
  const [{ loadConfig }, { budgetAlerts }] = await Promise.all([import("../../core/config/index.ts"), import("../../core/budgets/state.ts")]);
  const loaded = loadConfig(configFile);
  if (!loaded.ok) return undefined;
  return (store, nowMs) => budgetAlerts(store, loaded.config.budgets, nowMs).map((a) => `${a.severity === "exceeded" ? "!!" : "!"} ${a.message}`);
}

export async function statusline(argv: readonly string[]): Promise<number> {
  try {
    const paths = statePaths(meterHome());
    const notices = await budgetNotices(paths.config);
    const result = await runStatusline(argv, { dbPath: paths.db, env: process.env, nowMs: Date.now(), readInput: readStdin, notices });
    process.stdout.write(`${result.stdout}\n`);
    if (result.debug) process.stderr.write(`${result.debug}\n`);
  } catch {
    // runStatusline turns every failure it knows of into a line; this is for the ones it does not.
    process.stdout.write("◆ meter: internal error\n");
  }
  return 0;
}

const command: CommandDef = {
  meta: { name: "statusline", description: "One line for Claude Code's status bar: session and today's spend, the 5h and 7d windows (reads its JSON on stdin)" },
  args: {
    color: { type: "boolean", description: "ANSI colours (default on, unless NO_COLOR is set; --no-color for plain text)" },
    "max-width": { type: "string", description: "At most N columns, dropping the least important parts (default: $COLUMNS, else no limit)" },
  },
  run: ({ rawArgs }) => statusline(rawArgs),
};
export default command;
