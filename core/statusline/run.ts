// `halton-meter statusline` without the process: the options, the input, the store opened
// read-only (never created, migrated or written) and the line. It always comes back with one line
// to print: a store that is missing, locked, damaged or newer becomes a short placeholder, never
// an exception, so the prompt it sits under never fails.

import { openStoreReadOnly, type Store } from "../store/open.ts";
import { sqliteCode, StoreError } from "../store/errors.ts";
import { colorWanted, maxWidthOf, parseArgs, type StatuslineArgs, USAGE } from "./args.ts";
import { readFacts } from "./facts.ts";
import { parseInput } from "./input.ts";
import { placeholderLine, statusLine } from "./line.ts";
import { lineModel } from "./model.ts";

export interface StatuslineDeps {
  dbPath: string;
  env: Record<string, string | undefined>;
  nowMs: number;
  /** Claude Code's JSON; null when there is none (a terminal, too large, too slow). */
  readInput: () => Promise<string | null>;
  /** The seam for budget crossings and other news: given the open store, what to say first. */
  notices?: (store: Store, nowMs: number) => string[];
  /** How long a query waits for another connection's lock: never long, the prompt waits with it. */
  busyTimeoutMs?: number;
}

export interface StatuslineResult {
  /** Printed on stdout, followed by a newline. */
  stdout: string;
  /** For HALTON_METER_DEBUG only: Claude Code would show anything written to stderr. */
  debug: string | null;
}

export const LOOKBACK_MS = 60 * 60_000;
const BUSY_TIMEOUT_MS = 20;
const DEFAULT_ARGS: StatuslineArgs = { help: false, color: null, maxWidth: null };

/** Why there is no line, in the fewest words the status bar can hold. */
export function unavailable(err: unknown): string {
  if (err instanceof StoreError) {
    if (err.code === "missing") return "no data yet";
    if (err.code === "newer-schema") return "store is from a newer halton-meter";
  }
  const code = sqliteCode(err) ?? (err instanceof StoreError ? sqliteCode(err.cause) : null);
  if (code?.startsWith("SQLITE_BUSY") || code?.startsWith("SQLITE_LOCKED")) return "store busy";
  if (code !== null || err instanceof StoreError) return "store unreadable";
  return "internal error (HALTON_METER_DEBUG=1 shows it)";
}

/** The notices are news on top of the line: when they cannot be had, the line goes on without them. */
function noticesOf(store: Store, deps: StatuslineDeps): string[] {
  try {
    return deps.notices?.(store, deps.nowMs) ?? [];
  } catch {
    return [];
  }
}

export async function runStatusline(argv: readonly string[], deps: StatuslineDeps): Promise<StatuslineResult> {
  const parsed = parseArgs(argv);
  const args = parsed.ok ? parsed.args : DEFAULT_ARGS;
  const look = { color: colorWanted(args, deps.env), maxWidth: maxWidthOf(args, deps.env) };
  if (!parsed.ok) return { stdout: placeholderLine(parsed.message, look), debug: null };
  if (args.help) return { stdout: USAGE, debug: null };

  const input = parseInput(await deps.readInput());
  let store: Store | undefined;
  try {
    store = openStoreReadOnly(deps.dbPath, { busyTimeoutMs: deps.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
    const facts = readFacts(store, { sessionId: input.sessionId, nowMs: deps.nowMs, lookbackMs: LOOKBACK_MS });
    const notices = noticesOf(store, deps);
    const model = lineModel(facts, input, { nowMs: deps.nowMs, lookbackMs: LOOKBACK_MS, notices });
    return { stdout: statusLine(model, { nowMs: deps.nowMs, ...look }), debug: null };
  } catch (err) {
    const debug = deps.env.HALTON_METER_DEBUG ? (err instanceof Error ? (err.stack ?? err.message) : String(err)) : null;
    return { stdout: placeholderLine(unavailable(err), look), debug };
  } finally {
    store?.close();
  }
}
