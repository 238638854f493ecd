// Who listens on a loopback port (Linux): the LISTEN socket in /proc/net/tcp{,6}, its inode, the
// process whose fd holds it, and that process's command line. Elsewhere: unknown (null).

import { readFileSync } from "node:fs";
import { inodeFromProcNet, pidOfInode } from "../attribution/proc-net.ts";

export interface Listener {
  /** Null when the socket belongs to a process we may not look into (another user's). */
  pid: number | null;
  command: string;
}

const LISTEN = "0A";

function listeningInode(text: string, port: number): number | null {
  for (const line of text.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10 || cols[3] !== LISTEN) continue;
    if (Number.parseInt(cols[1]!.split(":").at(-1)!, 16) === port) return Number(cols[9]);
  }
  return null;
}

export function commandOf(pid: number, procRoot = "/proc"): string {
  try {
    return readFileSync(`${procRoot}/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return "";
  }
}

/** The process listening on `port`, or null when nothing does (or this is not Linux). */
export function listenerOn(port: number, procRoot = "/proc"): Listener | null {
  const inode = inodeFromProcNet((text) => listeningInode(text, port), procRoot);
  if (inode === null) return null;
  const pid = inode > 0 ? pidOfInode(inode, procRoot) : null;
  return { pid, command: pid === null ? "a process of another user" : commandOf(pid, procRoot) || `pid ${pid}` };
}
