import { type ArgsDef, type CommandDef, renderUsage, runCommand } from "citty";
import { createTerminal, type Terminal } from "../core/log/terminal.ts";
import { ServiceError } from "../core/service/errors.ts";
import { EXIT, UserError } from "./_errors.ts";

type AnyCommand = CommandDef<ArgsDef>;
const resolve = async <T>(r: unknown): Promise<T> => (typeof r === "function" ? await r() : await r) as T;

/** Follows subcommand names down the tree: the command that will run and the args left for it. */
async function leafCommand(root: AnyCommand, argv: string[]): Promise<{ cmd: AnyCommand; parent?: AnyCommand; rest: string[] }> {
  let cmd = root;
  let parent: AnyCommand | undefined;
  let rest = argv;
  for (;;) {
    const subs = await resolve<Record<string, unknown> | undefined>(cmd.subCommands);
    const first = rest[0];
    if (!subs || first === undefined || first.startsWith("-")) return { cmd, parent, rest };
    const next = subs[first];
    if (!next) throw new UserError(`unknown command "${first}"`, `run \`${["halton-meter", ...argv.slice(0, argv.length - rest.length)].join(" ")} --help\` to see the commands`, EXIT.usage);
    parent = cmd;
    cmd = await resolve<AnyCommand>(next);
    rest = rest.slice(1);
  }
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Every spelling of each flag (camelCase, kebab-case, aliases, --no-x), mapped to its definition. */
function flagSpellings(args: ArgsDef): Map<string, ArgsDef[string]> {
  const known = new Map<string, ArgsDef[string]>();
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const names = [name, kebab(name), ...[(def as { alias?: string | string[] }).alias ?? []].flat()];
    if (def.type === "boolean") names.push(`no-${name}`, `no-${kebab(name)}`);
    for (const n of names) known.set(n, def);
  }
  return known;
}

/** citty ignores flags it does not know; a typo must not be silently ignored, so check first. */
export function unknownFlags(rest: string[], args: ArgsDef): string[] {
  const known = flagSpellings(args);
  const bad: string[] = [];
  for (const arg of rest) {
    if (arg === "--") break;
    const m = /^--?([^=]+)/.exec(arg);
    if (m && !/^-\d/.test(arg) && m[1] !== "help" && m[1] !== "h" && !known.has(m[1]!)) bad.push(arg.split("=")[0]!);
  }
  return bad;
}

/**
 * What citty would silently misread: a flag that takes a value given none (`--project --json`
 * makes "--json" the project), or a word no command here takes (`report 7d` ignores "7d").
 */
export function misreadArgs(rest: string[], args: ArgsDef): string | null {
  const known = flagSpellings(args);
  const takesPositionals = Object.values(args).some((def) => def.type === "positional");
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--") break;
    const m = /^--?([^=]+)$/.exec(arg);
    const def = m && !/^-\d/.test(arg) ? known.get(m[1]!) : undefined;
    if (def && def.type !== "boolean") {
      const next = rest[i + 1];
      if (next === undefined || next.startsWith("--")) return `${arg} needs a value`;
      i++;
    } else if (!arg.startsWith("-") && !takesPositionals) return `unexpected argument ${JSON.stringify(arg)}`;
  }
  return null;
}

/**
 * Runs the CLI: --help and --version, unknown commands and flags, user errors and bugs each get
 * their own message and exit code. Commands return their exit code; this returns it to main.
 */
export async function runCli(root: AnyCommand, argv: string[], versionLine: string, term: Terminal = createTerminal()): Promise<number> {
  try {
    if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
      term.print(versionLine);
      return EXIT.ok;
    }
    const { cmd, parent, rest } = await leafCommand(root, argv);
    const args = (await resolve<ArgsDef | undefined>(cmd.args)) ?? {};
    if (rest.includes("--help") || rest.includes("-h") || (!cmd.run && !rest.length)) {
      const usage = await renderUsage(cmd, parent);
      term.print(term.color ? usage : usage.replace(/\x1b\[[0-9;]*m/g, ""));
      return cmd.run || rest.length ? EXIT.ok : EXIT.usage;
    }
    const bad = unknownFlags(rest, args);
    const helpHint = `run \`${["halton-meter", ...argv.slice(0, argv.length - rest.length)].join(" ")} --help\` to see the options`;
    if (bad.length) throw new UserError(`unknown option ${bad.join(", ")}`, helpHint, EXIT.usage);
    const misread = misreadArgs(rest, args);
    if (misread) throw new UserError(misread, helpHint, EXIT.usage);
    const { result } = await runCommand(cmd, { rawArgs: rest });
    return typeof result === "number" ? result : EXIT.ok;
  } catch (err) {
    if (err instanceof UserError) {
      term.error(err.message);
      if (err.hint) term.hint(err.hint);
      return err.exitCode;
    }
    // The supervisor contract's errors (platform/*): something the user can fix, with its hint.
    if (err instanceof ServiceError) {
      term.error(err.message);
      term.hint(err.hint);
      return EXIT.failed;
    }
    if (err instanceof Error && (err as { code?: string }).code?.startsWith("E_")) {
      term.error(err.message);
      return EXIT.usage;
    }
    term.error(`internal error: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.HALTON_METER_DEBUG && err instanceof Error && err.stack) term.print(err.stack);
    else term.hint("this is a bug in halton-meter; set HALTON_METER_DEBUG=1 for details");
    return EXIT.internal;
  }
}
