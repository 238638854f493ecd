// Bugs that reach a process's I/O shell: a socket callback that threw, an exception or a promise
// rejection nobody caught. Bun 1.4.4 ends the process (exit 1, the error on stderr) on an
// uncaught exception and on an unhandled rejection, the latter even when only an
// `uncaughtException` listener exists (tests/foundation/crash-guard.test.ts pins both). For a
// proxy that is the worst outcome: every connection through it fails. So each is logged with
// an event name and the process keeps serving; the connection that met the bug is failed open
// by its owner (see `forwardingHandlers` in core/proxy/sockets.ts).

import type { EventLog, Fields } from "./jsonl.ts";

type Sink = (event: string, fields: Fields) => void;

// One per process, like the faults it hears: the entry point installs the log at start-up.
// Until then (and in tests that never install one) a bug still shows, on stderr.
let sink: Sink = (event, fields) => console.error(JSON.stringify({ event, ...fields }));

const STACK_LINES = 4;

/** The message and the top of the stack of whatever was thrown (not always an Error). */
export function describeThrown(thrown: unknown): Fields {
  if (!(thrown instanceof Error)) return { error: String(thrown) };
  const frames = (thrown.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l));
  return { error: `${thrown.name}: ${thrown.message}`, stack: frames.slice(0, STACK_LINES).map((l) => l.trim()) };
}

/** Logs a bug caught at an I/O boundary. Never throws: the caller is already handling one. */
export function reportBug(event: string, thrown: unknown, fields: Fields = {}): void {
  try {
    sink(event, { ...fields, ...describeThrown(thrown) });
  } catch {
    // A failing log cannot be reported anywhere else.
  }
}

/**
 * Makes `log` the destination of `reportBug`, and keeps the process alive through an uncaught
 * exception or an unhandled rejection, logging each as `<name>.uncaught`.
 */
export function installCrashGuard(log: EventLog, name: "edge" | "daemon", proc: NodeJS.EventEmitter = process): void {
  sink = (event, fields) => log.event(event, fields, "error");
  proc.on("uncaughtException", (err: unknown) => reportBug(`${name}.uncaught`, err, { kind: "exception" }));
  proc.on("unhandledRejection", (reason: unknown) => reportBug(`${name}.uncaught`, reason, { kind: "rejection" }));
}
