// Sentinel files under HALTON_METER_HOME: small facts `init` leaves behind so later commands
// (start, rescue, status, doctor) and the daemon know what was installed, without asking the
// supervisor. Each is written atomically; an absent file means "no".
//
//   install-mode    "apps" | "full" | "env-only"   what `init` set up (rescue reuses it)
//   supervisor      "systemd" | "launchd" | "fallback"   who runs the processes
//   proxy-managed   present: we turned the system proxy on (full mode) and must restore it
//   graceful-stop   present: the daemon is down on purpose (`stop`, `uninstall --graceful`)

import { existsSync, readFileSync, rmSync } from "node:fs";
import { writeFileAtomic } from "../fs/atomic.ts";
import type { StatePaths } from "../paths.ts";
import type { InstallMode, SupervisorKind } from "./supervisor.ts";

export interface Sentinels {
  mode: InstallMode | null;
  supervisor: SupervisorKind | null;
  proxyManaged: boolean;
  gracefulStop: boolean;
}

const MODES: readonly InstallMode[] = ["apps", "full", "env-only"];
const KINDS: readonly SupervisorKind[] = ["systemd", "launchd", "fallback"];

function readWord<T extends string>(file: string, allowed: readonly T[]): T | null {
  try {
    const word = readFileSync(file, "utf8").trim();
    return (allowed as readonly string[]).includes(word) ? (word as T) : null;
  } catch {
    return null;
  }
}

export function readSentinels(paths: StatePaths): Sentinels {
  return {
    mode: readWord(paths.installMode, MODES),
    supervisor: readWord(paths.supervisorKind, KINDS),
    proxyManaged: existsSync(paths.proxyManaged),
    gracefulStop: existsSync(paths.gracefulStop),
  };
}

export function writeInstallSentinels(paths: StatePaths, install: { mode: InstallMode; supervisor: SupervisorKind }): void {
  writeFileAtomic(paths.installMode, `${install.mode}\n`);
  writeFileAtomic(paths.supervisorKind, `${install.supervisor}\n`);
}

function setFlag(file: string, on: boolean, why: string): void {
  if (on) writeFileAtomic(file, `${why}\n`);
  else rmSync(file, { force: true });
}

export const setProxyManaged = (paths: StatePaths, on: boolean): void => setFlag(paths.proxyManaged, on, "halton-meter turned the system proxy on; uninstall and reset-proxy restore it");

export const setGracefulStop = (paths: StatePaths, on: boolean, why = "stopped on purpose"): void => setFlag(paths.gracefulStop, on, why);

/** `uninstall --purge`: every sentinel goes, so nothing looks installed any more. */
export function clearSentinels(paths: StatePaths): void {
  for (const f of [paths.installMode, paths.supervisorKind, paths.proxyManaged, paths.gracefulStop]) rmSync(f, { force: true });
}
