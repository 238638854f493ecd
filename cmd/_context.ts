import { type Config, formatConfigError, loadConfig } from "../core/config/index.ts";
import { createTerminal, type Terminal } from "../core/log/terminal.ts";
import { meterHome, type StatePaths, statePaths } from "../core/paths.ts";
import { UserError } from "./_errors.ts";

export interface CliContext {
  paths: StatePaths;
  config: Config;
  pinned: Set<string>;
  term: Terminal;
}

/** Paths, the validated config (warnings shown) and a terminal: what most commands start from. */
export function cliContext(term: Terminal = createTerminal()): CliContext {
  const paths = statePaths(meterHome());
  const result = loadConfig(paths.config);
  if (!result.ok) throw new UserError(formatConfigError(result.error), `fix ${paths.config} (every key is listed by \`halton-meter config --defaults\`)`);
  for (const w of result.warnings) term.warn(w);
  return { paths, config: result.config, pinned: result.pinned, term };
}
