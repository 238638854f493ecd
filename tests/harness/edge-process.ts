// The edge as a real process in a sandbox: start it (from source or a compiled binary), wait
// for `edge.startup.ready` in its log, read its events and its resident memory.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { exchange } from "./client.ts";
import { BUN, repoRoot, type Sandbox, STARTUP_MS } from "./sandbox.ts";

export type LogLine = Record<string, unknown> & { event: string; level: string };

export const EDGE_SOURCE = [BUN, join(repoRoot, "cmd/edge.ts")];
export const DIST = join(repoRoot, "dist");

export interface EdgeProcess {
  proc: Subprocess;
  pid: number;
  /** The port the edge said it listens on (from `edge.startup.ready`). */
  port: number;
  logFile: string;
  events(name?: string): LogLine[];
  waitEvent(name: string, pred?: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** VmRSS of the process in bytes, or null once it has gone. */
  rss(): number | null;
  /** stdout and stderr, once the process has exited. */
  output(): Promise<{ stdout: string; stderr: string; code: number }>;
}

/** The JSON lines of a log; a line that is not JSON (a crash's words) is kept as `{ event: "(unparsed)", line }`. */
export function readLog(file: string): LogLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return { event: "(unparsed)", level: "", line: l };
      }
    });
}

/** A size line of /proc/PID/status in bytes (VmRSS: resident now; VmHWM: the most it ever was), or null once the process has gone. */
export function procStatusBytes(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export const rssBytes = (pid: number): number | null => procStatusBytes(pid, "VmRSS");

export interface StartOptions {
  /** Wait for `edge.startup.ready` (default true). */
  waitReady?: boolean;
  /**
   * Then wait until the edge answers a request (default true). It can only answer once its whole
   * start-up script has run, signal handlers and folder watcher included; `edge.startup.ready`
   * alone is written before those exist (see the start-up order tests in tests/edge/process.test.ts).
   */
  settle?: boolean;
}

/** Starts the edge (source by default) and waits until its log says it is ready. */
export async function startEdgeProcess(sb: Sandbox, argv: string[] = EDGE_SOURCE, opts: StartOptions = {}): Promise<EdgeProcess> {
  const logFile = join(sb.meterHome, "edge.log");
  const since = readLog(logFile).length;
  const proc = sb.spawn(argv);
  const mine = () => readLog(logFile).slice(since);
  const edge: EdgeProcess = {
    proc,
    pid: proc.pid,
    port: 0,
    logFile,
    events: (name) => mine().filter((l) => name === undefined || l.event === name),
    async waitEvent(name, pred = () => true, timeoutMs = 15_000) {
      // Polls often: the start-up order tests act the moment a line appears.
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = mine().find((l) => l.event === name && pred(l));
        if (hit) return hit;
        if (proc.exitCode !== null) throw new Error(`edge exited (${proc.exitCode}) before logging ${name}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${name} in edge.log`);
        await Bun.sleep(2);
      }
    },
    rss: () => rssBytes(proc.pid),
    async output() {
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout as ReadableStream).text(), new Response(proc.stderr as ReadableStream).text(), proc.exited]);
      return { stdout, stderr, code };
    },
  };
  if (opts.waitReady !== false) {
    const ready = await edge.waitEvent("edge.startup.ready", (l) => l.pid === proc.pid, STARTUP_MS);
    edge.port = ready.port as number;
    if (opts.settle !== false) {
      const answer = (await exchange(edge.port, "GET / HTTP/1.1\r\nHost: settle.invalid\r\n\r\n")).bytes.toString("latin1");
      if (!answer.startsWith("HTTP/1.1 400 ")) throw new Error(`the edge did not answer its settle request: ${JSON.stringify(answer.slice(0, 80))}`);
    }
  }
  return edge;
}
