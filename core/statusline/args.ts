// The status line's few options, read here rather than by citty: a mistyped option must still
// print a line (saying what is wrong) and exit 0, since Claude Code blanks the line otherwise.
// Pure.

export interface StatuslineArgs {
  help: boolean;
  /** True or false when said on the command line; null to follow NO_COLOR. */
  color: boolean | null;
  /** Null when not given: COLUMNS, else no limit. */
  maxWidth: number | null;
}

export type ParsedArgs = { ok: true; args: StatuslineArgs } | { ok: false; message: string };

export const USAGE = `halton-meter statusline: one line for Claude Code's status bar (reads its JSON on stdin)

  --color          ANSI colours (the default, unless NO_COLOR is set)
  --no-color       plain text
  --max-width N    at most N columns, dropping the least important parts (default: $COLUMNS, else no limit)

In ~/.claude/settings.json: {"statusLine": {"type": "command", "command": "halton-meter statusline"}}`;

const width = (text: string | undefined): number | null => (text !== undefined && /^\d{1,6}$/.test(text) ? Number(text) : null);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const args: StatuslineArgs = { help: false, color: null, maxWidth: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (name === "--help" || name === "-h") args.help = true;
    else if (name === "--color" && inline === undefined) args.color = true;
    else if (name === "--no-color" && inline === undefined) args.color = false;
    else if (name === "--max-width") {
      const value = inline ?? argv[++i];
      const n = width(value);
      if (n === null) return { ok: false, message: `--max-width needs a number of columns${value === undefined ? "" : `, not ${JSON.stringify(value)}`}` };
      args.maxWidth = n;
    } else return { ok: false, message: `unknown option ${JSON.stringify(arg)} (see halton-meter statusline --help)` };
  }
  return { ok: true, args };
}

/** The flag, else NO_COLOR (set and not empty: https://no-color.org), else on: Claude Code renders ANSI. */
export function colorWanted(args: StatuslineArgs, env: Record<string, string | undefined>): boolean {
  if (args.color !== null) return args.color;
  return env.NO_COLOR === undefined || env.NO_COLOR === "";
}

export function maxWidthOf(args: StatuslineArgs, env: Record<string, string | undefined>): number | null {
  return args.maxWidth ?? width(env.COLUMNS?.trim());
}
