// A sandbox whose PATH starts with recording fakes of launchctl, networksetup and security.
// Every process the fake launchd spawned is killed by pid at cleanup.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { processRunner } from "../../core/service/runner.ts";
import type { Runner } from "../../core/service/supervisor.ts";
import { BUN, makeSandbox, type Sandbox } from "../harness/sandbox.ts";

export const FAKES_BIN = join(import.meta.dir, "fakes", "bin");

export interface Call {
  tool: string;
  argv: string[];
}

export interface DarwinSandbox extends Sandbox {
  state: string;
  uid: number;
  /** The production runner, with the sandbox env. */
  run: Runner;
  /** Calls recorded since the last clearCalls(). */
  calls(tool?: string): Call[];
  /** Every call recorded since the sandbox was made. */
  allCalls(tool?: string): Call[];
  /** The recorded calls of one tool as shell-like lines: "bootstrap gui/0 /x/y.plist". */
  lines(tool: string): string[];
  clearCalls(): void;
  setState(name: string, value: unknown): void;
  readState<T>(name: string): T;
}

export function makeDarwinSandbox(prefix = "hm-darwin-"): DarwinSandbox {
  const sb = makeSandbox(prefix);
  const state = join(sb.root, "fake-state");
  const log = join(sb.root, "fake-calls.jsonl");
  Object.assign(sb.env, {
    PATH: `${FAKES_BIN}:${dirname(BUN)}:${sb.env.PATH}`,
    FAKE_STATE: state,
    FAKE_LOG: log,
    FAKE_BUN: BUN,
  });
  const run: Runner = (argv, opts = {}) => processRunner(argv, { ...opts, env: { ...sb.env, ...opts.env } });
  let seen = 0;
  const allCalls = (tool?: string): Call[] => {
    if (!existsSync(log)) return [];
    const all = readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Call);
    return tool ? all.filter((c) => c.tool === tool) : all;
  };
  const calls = (tool?: string): Call[] => {
    const fresh = allCalls().slice(seen);
    return tool ? fresh.filter((c) => c.tool === tool) : fresh;
  };
  const baseCleanup = sb.cleanup;
  return Object.assign(sb, {
    state,
    uid: process.getuid!(),
    run,
    calls,
    allCalls,
    lines: (tool: string) => calls(tool).map((c) => c.argv.join(" ")),
    clearCalls: () => {
      seen = allCalls().length;
    },
    setState(name: string, value: unknown) {
      mkdirSync(state, { recursive: true });
      writeFileSync(join(state, name), typeof value === "string" ? value : JSON.stringify(value));
    },
    readState<T>(name: string): T {
      return JSON.parse(readFileSync(join(state, name), "utf8")) as T;
    },
    async cleanup() {
      const pidsFile = join(state, "spawned-pids");
      if (existsSync(pidsFile)) {
        for (const pid of readFileSync(pidsFile, "utf8").split("\n").filter(Boolean).map(Number)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {}
        }
      }
      await baseCleanup();
    },
  });
}

/** Parses a plist with Python's plistlib: the check every generated plist must pass. */
export function plistlib(path: string): Record<string, unknown> {
  const py = Bun.spawnSync(["/usr/bin/python3", "-c", "import plistlib,json,sys; print(json.dumps(plistlib.load(open(sys.argv[1],'rb'))))", path]);
  if (py.exitCode !== 0) throw new Error(`plistlib refused ${path}: ${py.stderr.toString()}`);
  return JSON.parse(py.stdout.toString()) as Record<string, unknown>;
}

/** A process alive and not a zombie (nothing reaps orphans in these containers). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
