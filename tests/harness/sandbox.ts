// A throwaway HOME and HALTON_METER_HOME per test file, random loopback ports, and every
// process a test starts tracked by pid and ended at cleanup. Nothing here touches the real ~.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { acceptsConnections, anyFreePort } from "../../core/ports/probe.ts";

/** Ports this process handed out: the kernel may offer a just-closed one again, and a meter's three ports must differ. */
const handedOut = new Set<number>();

/** A port free on 127.0.0.1 right now (the product's own probe), never one this process handed out before. */
export function freePort(): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = anyFreePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error("no loopback port this process has not used already");
}

export interface Sandbox {
  root: string;
  home: string;
  meterHome: string;
  ports: { edge: number; internal: number; api: number };
  env: Record<string, string>;
  writeConfig(toml: string): void;
  spawn(argv: string[], opts?: { env?: Record<string, string>; stdout?: "pipe" | "ignore" | "inherit"; stderr?: "pipe" | "ignore" | "inherit"; cwd?: string }): Subprocess;
  cleanup(): Promise<void>;
}

/** Config text pinning the sandbox's ports, plus any extra TOML (which may add sections, not [daemon]). */
export function portsToml(ports: Sandbox["ports"], extraDaemon = ""): string {
  return `[daemon]\nedge_port = ${ports.edge}\ninternal_port = ${ports.internal}\napi_port = ${ports.api}\n${extraDaemon}\n`;
}

export function makeSandbox(prefix = "hm-test-"): Sandbox {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const home = join(root, "home");
  const meterHome = join(home, ".halton-meter");
  mkdirSync(meterHome, { recursive: true, mode: 0o700 });
  const ports = { edge: freePort(), internal: freePort(), api: freePort() };
  const procs: Subprocess[] = [];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    HALTON_METER_HOME: meterHome,
    NO_COLOR: "1",
    LANG: "C.UTF-8",
  };
  const sandbox: Sandbox = {
    root,
    home,
    meterHome,
    ports,
    env,
    writeConfig(toml) {
      writeFileSync(join(meterHome, "config.toml"), toml);
    },
    spawn(argv, opts = {}) {
      const p = Bun.spawn(argv, {
        env: { ...env, ...opts.env },
        stdout: opts.stdout ?? "pipe",
        stderr: opts.stderr ?? "pipe",
        stdin: "ignore",
        cwd: opts.cwd ?? root,
      });
      procs.push(p);
      return p;
    },
    async cleanup() {
      for (const p of procs) {
        if (p.exitCode === null && p.signalCode === null) {
          try {
            process.kill(p.pid, "SIGKILL");
          } catch {}
        }
      }
      await Promise.all(procs.map((p) => p.exited.catch(() => {})));
      rmSync(root, { recursive: true, force: true });
    },
  };
  return sandbox;
}

/**
 * How long the daemon or the edge may take to come up. Generous on purpose: on a loaded 2-core
 * machine a daemon from source has taken over 20 s. A hook that starts a meter allows
 * STARTUP_HOOK_MS (certificates and fakes come first).
 */
export const STARTUP_MS = 60_000;
export const STARTUP_HOOK_MS = STARTUP_MS + 30_000;

/** Polls until `check` is truthy; for readiness only, never to assert a duration. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** Something accepts on 127.0.0.1:port (the product's own probe). */
export const canConnect = (port: number): Promise<boolean> => acceptsConnections(port);

export const repoRoot = join(import.meta.dir, "..", "..");
export const BUN = process.execPath;
