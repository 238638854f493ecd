// Processes for the benchmarks: spawned, tracked by pid, and always ended by pid; plus the small
// measurements taken from outside a process (resident memory, readiness polls).

import { openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { rssBytes } from "../tests/harness/edge-process.ts";

export const BUN = process.execPath;
export const ROOT = join(import.meta.dir, "..");

export interface Procs {
  /** Starts a process; its stdout and stderr go to `<dir>/<name>.out` and `.err`. */
  spawn(name: string, argv: string[], env?: Record<string, string>): Subprocess;
  /** Starts a helper that prints one JSON line on stdout when ready; resolves with it. */
  spawnJson<T>(name: string, argv: string[]): Promise<{ proc: Subprocess; info: T }>;
  /** Ends one process by pid (SIGTERM, then SIGKILL after `graceMs`) and waits for it. */
  stop(p: Subprocess, graceMs?: number): Promise<void>;
  stopAll(): Promise<void>;
}

export function makeProcs(dir: string, baseEnv: Record<string, string>): Procs {
  const live = new Set<Subprocess>();
  const procs: Procs = {
    spawn(name, argv, env = {}) {
      const p = Bun.spawn(argv, {
        env: { ...baseEnv, ...env },
        stdin: "ignore",
        stdout: openSync(join(dir, `${name}.out`), "a"),
        stderr: openSync(join(dir, `${name}.err`), "a"),
        cwd: dir,
      });
      live.add(p);
      void p.exited.then(() => live.delete(p));
      return p;
    },
    async spawnJson<T>(name: string, argv: string[]) {
      const p = Bun.spawn(argv, { env: baseEnv, stdin: "ignore", stdout: "pipe", stderr: openSync(join(dir, `${name}.err`), "a"), cwd: dir });
      live.add(p);
      void p.exited.then(() => live.delete(p));
      const reader = (p.stdout as ReadableStream<Uint8Array>).getReader();
      let text = "";
      while (!text.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`${name} exited before it was ready: ${readFileSync(join(dir, `${name}.err`), "utf8").slice(-400)}`);
        text += new TextDecoder().decode(value);
      }
      reader.releaseLock();
      return { proc: p, info: JSON.parse(text.split("\n")[0]!) as T };
    },
    async stop(p, graceMs = 5000) {
      if (p.exitCode !== null || p.signalCode !== null) return;
      try {
        process.kill(p.pid, "SIGTERM");
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(p.pid, "SIGKILL");
        } catch {}
      }, graceMs);
      await p.exited;
      clearTimeout(timer);
    },
    async stopAll() {
      for (const p of live) {
        try {
          process.kill(p.pid, "SIGKILL");
        } catch {}
      }
      await Promise.all([...live].map((p) => p.exited));
    },
  };
  return procs;
}

/** VmRSS in MB, or NaN once the process has gone. */
export function rssMB(pid: number): number {
  const bytes = rssBytes(pid);
  return bytes === null ? Number.NaN : bytes / (1024 * 1024);
}

export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: { open: (s) => (s.end(), resolve(true)), data() {}, connectError: () => resolve(false), error: () => resolve(false) },
    }).catch(() => resolve(false));
  });
}

export async function healthy(apiPort: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${apiPort}/health`);
    return r.status === 200;
  } catch {
    return false;
  }
}

/** Polls `check` every `everyMs` until it is true; throws after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, everyMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}
