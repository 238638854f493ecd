// The four LaunchAgents and the launchd choices each one needs (seeds 000, 001, 003).

import { join } from "node:path";
import type { InstallMode, ServiceName, ServiceSpec } from "../../core/service/supervisor.ts";
import type { PlistSpec } from "./plist.ts";

export const LABELS: Record<ServiceName, string> = {
  daemon: "com.haltonlabs.meter",
  watchdog: "com.haltonlabs.meter.watchdog",
  edge: "com.haltonlabs.meter.edge",
  userenv: "com.haltonlabs.meter.userenv",
};

export const SERVICE_NAMES = Object.keys(LABELS) as ServiceName[];

interface LaunchChoices {
  runAtLoad: boolean;
  keepAlive: boolean;
  exitTimeOut?: number;
  throttleInterval?: number;
}

const CHOICES: Record<ServiceName, LaunchChoices> = {
  // Started by `halton-meter start`, never at login and never revived: a KeepAlive of any value
  // would make launchd run it at load. Fail-open does not need it alive; the edge is.
  // 30 s between launchd's SIGTERM and SIGKILL: the daemon's own grace for open exchanges.
  daemon: { runAtLoad: false, keepAlive: false, exitTimeOut: 30 },
  // Lives and dies with the daemon: `start` bootstraps both, `stop` boots out both.
  watchdog: { runAtLoad: false, keepAlive: false },
  // Always on: it owns the user-facing port. Respawned within a second, like systemd's RestartSec=1.
  edge: { runAtLoad: true, keepAlive: true, throttleInterval: 1 },
  // One shot at every login: `launchctl setenv` for apps started from the Dock and Spotlight.
  userenv: { runAtLoad: true, keepAlive: false },
};

export const plistPath = (userHome: string, name: ServiceName): string => join(userHome, "Library", "LaunchAgents", `${LABELS[name]}.plist`);

/** The env var that tells the userenv agent the mode it was installed for. */
export const MODE_ENV = "HALTON_METER_INSTALL_MODE";

export function agentPlist(service: ServiceSpec, mode: InstallMode): PlistSpec {
  return {
    label: LABELS[service.name],
    programArguments: service.argv,
    // launchd runs userenv the moment it is loaded, before `init` has written its sentinels: the
    // mode travels in the plist instead (and a mode change rewrites the plist, so it runs again).
    env: service.name === "userenv" ? { ...service.env, [MODE_ENV]: mode } : service.env,
    stdoutPath: service.stdoutLog,
    stderrPath: service.stderrLog,
    ...CHOICES[service.name],
  };
}
