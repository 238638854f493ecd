// What a process holds, read from /proc (Linux): its open fds, and which of its TCP sockets sit
// in each state. A socket is the process's when the inode in /proc/PID/net/tcp* is one of its fds.

import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** /proc/net/tcp's state column, in hex (include/net/tcp_states.h). */
export const TCP_STATES: Record<string, string> = {
  "01": "ESTABLISHED",
  "02": "SYN_SENT",
  "03": "SYN_RECV",
  "04": "FIN_WAIT1",
  "05": "FIN_WAIT2",
  "06": "TIME_WAIT",
  "07": "CLOSE",
  "08": "CLOSE_WAIT",
  "09": "LAST_ACK",
  "0A": "LISTEN",
  "0B": "CLOSING",
};

export const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // Closed between the listing and the readlink.
    }
  }
  return inodes;
}

/** How many of the process's TCP sockets (those with either end on one of `ports`, if given) are in each state, by name. */
export function tcpStates(pid: number, ports?: number[]): Record<string, number> {
  const mine = socketInodes(pid);
  const counts: Record<string, number> = {};
  for (const table of ["tcp", "tcp6"]) {
    let text = "";
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || !mine.has(cols[9]!)) continue;
      const ends = [cols[1]!, cols[2]!].map((a) => Number.parseInt(a.split(":")[1]!, 16));
      if (ports && !ends.some((p) => ports.includes(p))) continue;
      const state = TCP_STATES[cols[3]!] ?? cols[3]!;
      counts[state] = (counts[state] ?? 0) + 1;
    }
  }
  return counts;
}
