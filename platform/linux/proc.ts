// Our processes, known by pid *and* start time: a pid the kernel has since given to another
// program never matches, so it is never signalled.

import { readFileSync } from "node:fs";

export interface PidRecord {
  pid: number;
  /** Clock ticks after boot when the process started (/proc/PID/stat field 22). */
  startTime: number;
  argv: string[];
  startedAt: string;
}

/** The start time of a live process, or null when it is gone or a zombie. */
export function startTimeOf(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name is in parentheses and may itself hold spaces or ")": split after the last one.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  if (state === "Z" || state === "X" || state === "x") return null;
  const start = Number(fields[19]);
  return Number.isFinite(start) ? start : null;
}

export const isRunning = (rec: PidRecord): boolean => startTimeOf(rec.pid) === rec.startTime;

/** Waits until the recorded process is gone; true if it went within `timeoutMs`. */
export async function waitGone(rec: PidRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(rec)) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(25);
  }
  return true;
}

/** SIGTERM, then SIGKILL after `graceMs`: only ever to the recorded process. Returns how it ended. */
export async function terminate(rec: PidRecord, graceMs: number): Promise<"not-running" | "terminated" | "killed"> {
  if (!isRunning(rec)) return "not-running";
  try {
    process.kill(rec.pid, "SIGTERM");
  } catch {
    return "not-running";
  }
  if (await waitGone(rec, graceMs)) return "terminated";
  return kill(rec);
}

export async function kill(rec: PidRecord): Promise<"not-running" | "killed"> {
  if (!isRunning(rec)) return "not-running";
  try {
    process.kill(rec.pid, "SIGKILL");
  } catch {
    return "not-running";
  }
  await waitGone(rec, 5000);
  return "killed";
}
