// What the running edge holds, written by the edge itself (run/edge-port.json: its pid and port).
// effective-ports.json is a choice anyone may rewrite, corrupt or delete; the edge's own record
// is the fact shells depend on. The daemon, init and doctor count that port as ours and record
// it, so a re-choice never hands the edge's port away or points the file somewhere else.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../fs/atomic.ts";
import { isPortFree } from "./probe.ts";

export interface EdgeRecord {
  pid: number;
  port: number;
}

/** Beside the fallback supervisor's pid files: state about processes, removed with them on purge. */
export const edgeRecordFile = (home: string): string => join(home, "run", "edge-port.json");

const EDGE_COMMAND = /halton-meter-edge|cmd\/edge\.ts/;
const isPositiveInt = (n: unknown, max: number): n is number => typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= max;

export function writeEdgeRecord(home: string, record: EdgeRecord): void {
  const file = edgeRecordFile(home);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, `${JSON.stringify({ pid: record.pid, port: record.port })}\n`);
}

/** The last port an edge recorded holding (it may have exited since); null when none is recorded. */
export function readEdgeRecord(home: string): EdgeRecord | null {
  try {
    const data = JSON.parse(readFileSync(edgeRecordFile(home), "utf8")) as Record<string, unknown>;
    return isPositiveInt(data.pid, 2 ** 31) && isPositiveInt(data.port, 65535) ? { pid: data.pid, port: data.port } : null;
  } catch {
    return null;
  }
}

/**
 * The port our edge holds right now, or null. The recorded pid must be alive, be an edge (its
 * command line, where /proc shows it) and the port must be bound: a recycled pid, an edge of
 * another meter home or a stale record never makes a port "ours".
 */
export function runningEdgePort(home: string, procRoot = "/proc"): number | null {
  const record = readEdgeRecord(home);
  if (!record) return null;
  try {
    process.kill(record.pid, 0);
  } catch {
    return null;
  }
  // Without /proc (macOS) the live pid and the bound port have to do.
  if (existsSync(join(procRoot, "self"))) {
    try {
      if (!EDGE_COMMAND.test(readFileSync(join(procRoot, String(record.pid), "cmdline"), "utf8"))) return null;
    } catch {
      return null;
    }
  }
  return isPortFree(record.port) ? null : record.port;
}
