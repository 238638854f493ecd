import { type Config, defaultConfig, formatConfigError, loadConfig } from "../core/config/index.ts";
import { createTerminal, type Terminal } from "../core/log/terminal.ts";
import { meterHome, type StatePaths, statePaths } from "../core/paths.ts";
import { UserError } from "./_errors.ts";

export interface CliContext {
  paths: StatePaths;
  config: Config;
  pinned: Set<string>;
  term: Terminal;
}

/**
 * Paths, the validated config (warnings shown) and a terminal: what most commands start from.
 * `lenient`: a broken config.toml is reported and the defaults used, for the commands that must
 * work whatever the config says (stopping and removing the meter).
 */
export function cliContext(term: Terminal = createTerminal(), opts: { lenient?: boolean } = {}): CliContext {
  const paths = statePaths(meterHome());
  const result = loadConfig(paths.config);
  if (!result.ok && opts.lenient) {
    term.warn(`${formatConfigError(result.error)}: going on with the defaults (fix ${paths.config} before the next start)`);
    return { paths, config: defaultConfig(), pinned: new Set(), term };
  }
  if (!result.ok) throw new UserError(formatConfigError(result.error), `fix ${paths.config} (every key is listed by \`halton-meter config --defaults\`)`);
  for (const w of result.warnings) term.warn(w);
  return { paths, config: result.config, pinned: result.pinned, term };
}
