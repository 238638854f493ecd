import { type ArgsDef, type CommandDef, renderUsage, runCommand } from "citty";
import { createTerminal, type Terminal } from "../core/log/terminal.ts";
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
    if (!next) throw new UserError(`unknown command "${first}"`, `run \`${await nameOf(cmd)} --help\` to see the commands`, EXIT.usage);
    parent = cmd;
    cmd = await resolve<AnyCommand>(next);
    rest = rest.slice(1);
  }
}

async function nameOf(cmd: AnyCommand): Promise<string> {
  const meta = await resolve<{ name?: string } | undefined>(cmd.meta);
  return meta?.name ?? "halton-meter";
}

/** citty ignores flags it does not know; a typo must not be silently ignored, so check first. */
export function unknownFlags(rest: string[], args: ArgsDef): string[] {
  const known = new Set<string>(["help", "h"]);
  for (const [name, def] of Object.entries(args)) {
    known.add(name);
    known.add(name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
    for (const a of [(def as { alias?: string | string[] }).alias ?? []].flat()) known.add(a);
    if (def.type === "boolean") known.add(`no-${name}`);
  }
  const bad: string[] = [];
  for (const arg of rest) {
    if (arg === "--") break;
    const m = /^--?([^=]+)/.exec(arg);
    if (m && !/^-\d/.test(arg) && !known.has(m[1]!)) bad.push(arg.split("=")[0]!);
  }
  return bad;
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
    if (bad.length) throw new UserError(`unknown option ${bad.join(", ")}`, `run \`halton-meter ${argv.slice(0, argv.length - rest.length).join(" ")} --help\` to see the options`, EXIT.usage);
    const { result } = await runCommand(cmd, { rawArgs: rest });
    return typeof result === "number" ? result : EXIT.ok;
  } catch (err) {
    if (err instanceof UserError) {
      term.error(err.message);
      if (err.hint) term.hint(err.hint);
      return err.exitCode;
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
