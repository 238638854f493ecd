// What the lifecycle commands (init, start, stop, status, uninstall, rescue) share: the context
// with sentinels and the supervisor, the panel, the yes/no question, and error translation.

import type { Terminal } from "../../core/log/terminal.ts";
import { ServiceError } from "../../core/service/errors.ts";
import { type PanelRow, renderPanel } from "../../core/service/panel.ts";
import { readSentinels, type Sentinels } from "../../core/service/sentinels.ts";
import { TlsError } from "../../core/tls/index.ts";
import { type CliContext, cliContext } from "../_context.ts";
import { UserError } from "../_errors.ts";
import { type Platform, pickPlatform } from "../_platform.ts";

export interface LifecycleContext extends CliContext {
  sentinels: Sentinels;
  platform: Platform;
}

/**
 * `fresh`: choose the supervisor anew (init) instead of using the one init recorded.
 * `lenient`: go on with the default config when config.toml is broken (stop, uninstall).
 */
export async function lifecycleContext(opts: { fresh?: boolean; lenient?: boolean } = {}): Promise<LifecycleContext> {
  const ctx = cliContext(undefined, { lenient: opts.lenient });
  const sentinels = readSentinels(ctx.paths);
  const platform = await pickPlatform({ home: ctx.paths.home, recorded: opts.fresh ? null : sentinels.supervisor });
  return { ...ctx, sentinels, platform };
}

export function printPanel(term: Terminal, title: string, rows: readonly PanelRow[], footer: readonly string[] = []): void {
  for (const line of renderPanel(title, rows, footer)) term.print(line);
}

/** Errors from core that a person can act on, as UserErrors; anything else stays a bug. */
export async function userErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ServiceError || err instanceof TlsError) throw new UserError(err.message, err.hint);
    throw err;
  }
}

/** Asks on the terminal; anything but an explicit yes (or the default on Enter) is no. */
export async function confirm(question: string, defaultYes: boolean): Promise<boolean> {
  process.stderr.write(`${question} ${defaultYes ? "[Y/n]" : "[y/N]"} `);
  for await (const line of console) {
    const answer = line.trim().toLowerCase();
    if (answer === "") return defaultYes;
    return answer === "y" || answer === "yes";
  }
  return false;
}

export const interactive = (nonInteractive: boolean | undefined): boolean => !nonInteractive && process.stdin.isTTY === true && process.stderr.isTTY === true;
