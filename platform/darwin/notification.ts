// Desktop notifications on macOS: AppleScript's `display notification`, run by osascript. The text
// travels inside the script, so it is written as AppleScript string literals, never pasted raw.

import { createCommandNotifier, type Notifier, type NotifyRunner } from "../../core/budgets/notify.ts";

/**
 * An AppleScript string literal: backslash and double quote are the only characters special inside
 * one; line breaks and tabs are written as \n and \t so the script stays on one line.
 */
export function appleScriptString(text: string): string {
  const escaped = text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, "\\n").replace(/\t/g, "\\t");
  return `"${escaped}"`;
}

/** The script is one argv element after -e: a leading dash in the text is inside it, not an option. */
export function osascriptArgv(title: string, body: string): string[] {
  return ["osascript", "-e", `display notification ${appleScriptString(body)} with title ${appleScriptString(title || "Halton Meter")}`];
}

export function createOsascriptNotifier(opts: { run: NotifyRunner; report: (reason: string) => void }): Notifier {
  return createCommandNotifier({ ...opts, argv: osascriptArgv, installHint: "osascript ships with macOS: check that /usr/bin is on the daemon's PATH" });
}
