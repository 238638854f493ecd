// Is a running process still executing a binary that has since been replaced? An upgrade renames
// a new file over the old one; a process started before keeps running the old inode. On Linux
// /proc/PID/exe still resolves to that inode, so comparing it with the installed file's says so
// exactly, whatever the version strings claim.

import { statSync } from "node:fs";

export type Staleness = "current" | "replaced" | "unknown";

export function binaryStaleness(pid: number, installed: string, procRoot = "/proc"): Staleness {
  try {
    const running = statSync(`${procRoot}/${pid}/exe`);
    const now = statSync(installed);
    return running.dev === now.dev && running.ino === now.ino ? "current" : "replaced";
  } catch {
    // No /proc (macOS), the process has gone, or the file was removed: nothing to say.
    return "unknown";
  }
}
