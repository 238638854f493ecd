// The real Runner: spawns a program and collects its output. Supervisors take a Runner so their
// tests can record calls; this one is what the CLI passes.

import type { RunResult, Runner } from "./supervisor.ts";

/** A missing program answers like a shell would: code 127. A hung one is killed at `timeoutMs`. */
export const processRunner: Runner = async (argv, opts = {}): Promise<RunResult> => {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    proc = Bun.spawn(argv, { env: (opts.env ?? process.env) as Record<string, string>, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  } catch (err) {
    return { code: 127, stdout: "", stderr: `${argv[0]}: ${(err as Error).message}` };
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, timeoutMs);
  try {
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout as ReadableStream).text(), new Response(proc.stderr as ReadableStream).text(), proc.exited]);
    return timedOut ? { code: 124, stdout, stderr: `${stderr}${argv[0]} did not finish within ${timeoutMs} ms` } : { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
};

export const NOTIFY_TIMEOUT_MS = 2000;

/**
 * The runner behind desktop notifications (core/budgets/notify.ts): a notification program that
 * hangs (no session bus answering) is killed at 2 s, and nothing is ever thrown.
 */
export async function notifyRunner(argv: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const r = await processRunner(argv, { timeoutMs: NOTIFY_TIMEOUT_MS });
    return { code: r.code, stderr: r.stderr };
  } catch (err) {
    return { code: 127, stderr: `${argv[0]}: ${(err as Error).message}` };
  }
}
