// Our processes, known by pid *and* start time: a pid the kernel has since given to another
// program never matches, so it is never signalled.

import { readdirSync, readFileSync } from "node:fs";

export interface PidRecord {
  pid: number;
  /** Clock ticks after boot when the process started (/proc/PID/stat field 22). */
  startTime: number;
  argv: string[];
  startedAt: string;
}

/** The fields of /proc/PID/stat (or of a task of it) after the command name, or null when it is gone. */
function statFields(path: string): string[] | null {
  let stat: string;
  try {
    stat = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  // The command name is in parentheses and may itself hold spaces or ")": split after the last one.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

const exited = (state: string | undefined) => state === "Z" || state === "X" || state === "x";

/**
 * Whether a thread of `pid` other than its first still runs. The first thread of a process shows
 * as a zombie as soon as it ends, while the others (and the sockets they all share) may live on:
 * for a moment while a killed process winds down, or for good after the first one exits alone.
 */
function otherThreadRuns(pid: number): boolean {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tasks.some((tid) => tid !== String(pid) && !exited(statFields(`/proc/${pid}/task/${tid}/stat`)?.[0]));
}

/** The start time of a live process, or null when it is gone or a zombie with no thread left running. */
export function startTimeOf(pid: number): number | null {
  const fields = statFields(`/proc/${pid}/stat`);
  if (!fields) return null;
  if (exited(fields[0]) && !otherThreadRuns(pid)) return null;
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
