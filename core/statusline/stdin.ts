// Reading the status line's stdin: bounded in size and in time, so neither a flood nor a writer
// that never closes the pipe can hold the prompt. A terminal is not read at all (someone running
// the command by hand gets the line at once, without the session part).

import { isatty } from "node:tty";

export const MAX_INPUT_BYTES = 1 << 20;
/** Claude Code writes its JSON and closes the pipe at once; past this the line goes on without it. */
export const INPUT_DEADLINE_MS = 250;

export interface ReadLimits {
  maxBytes: number;
  deadlineMs: number;
}

/**
 * The stream's text; null when it is larger than `maxBytes` (a cut JSON document says nothing
 * reliable) or does not end within `deadlineMs`.
 */
export async function readBounded(stream: ReadableStream<Uint8Array>, limits: ReadLimits = { maxBytes: MAX_INPUT_BYTES, deadlineMs: INPUT_DEADLINE_MS }): Promise<string | null> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), limits.deadlineMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), late]);
      if (next === "late") return null;
      if (next.done) break;
      size += next.value.byteLength;
      if (size > limits.maxBytes) return null;
      chunks.push(next.value);
    }
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    // Never await the cancel: a writer that keeps the pipe open would hold it.
    reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** Process stdin, unless it is a terminal. */
export function readStdin(): Promise<string | null> {
  if (isatty(0)) return Promise.resolve(null);
  return readBounded(Bun.stdin.stream());
}
