// Which supervisor runs the meter here, chosen at run time:
//   HALTON_METER_SUPERVISOR=systemd|launchd|fallback  (tests, and anyone who knows better)
//   the one a previous `init` recorded (every command but init: they must find what init set up)
//   launchd on macOS (the fallback reads Linux's /proc, so it is no alternative there);
//   systemd when `systemctl --user` reaches a user manager, else the fallback, saying why.

import { homedir } from "node:os";
import type { Notifier } from "../core/budgets/notify.ts";
import { notifyRunner, processRunner } from "../core/service/runner.ts";
import type { Runner, Supervisor, SupervisorKind, SystemProxy, Unavailable } from "../core/service/supervisor.ts";
import { createKeychain, createLaunchdSupervisor, createSystemProxy, type Keychain } from "../platform/darwin/index.ts";
import { createOsascriptNotifier } from "../platform/darwin/notification.ts";
import { createFallbackSupervisor, createSystemdSupervisor } from "../platform/linux/index.ts";
import { createNotifySendNotifier } from "../platform/linux/notify-send.ts";
import { EXIT, UserError } from "./_errors.ts";

export interface Platform {
  supervisor: Supervisor;
  /** The system proxy `full` mode manages; null where there is none (Linux). */
  systemProxy: SystemProxy | null;
  /** The login keychain that apps from the Dock take their trust from; null where there is none (Linux). */
  keychain: Keychain | null;
  /** A supervisor passed over, and why (init prints it). */
  passedOver: (Unavailable & { kind: SupervisorKind }) | null;
}

export interface PlatformOptions {
  /** HALTON_METER_HOME. */
  home: string;
  env?: Record<string, string | undefined>;
  /** The supervisor recorded by a previous init (sentinel), used as is when present. */
  recorded?: SupervisorKind | null;
  run?: Runner;
}

const KINDS: readonly SupervisorKind[] = ["systemd", "launchd", "fallback"];

export const userHome = (env: Record<string, string | undefined> = process.env): string => (env.HOME && env.HOME !== "" ? env.HOME : homedir());

export function supervisorOf(kind: SupervisorKind, opts: PlatformOptions): Supervisor {
  const env = opts.env ?? process.env;
  switch (kind) {
    case "systemd":
      return createSystemdSupervisor({ userHome: userHome(env), run: opts.run ?? processRunner, env });
    case "fallback":
      return createFallbackSupervisor({ home: opts.home, env });
    case "launchd":
      return createLaunchdSupervisor({ home: opts.home, userHome: userHome(env), uid: process.getuid?.() ?? 0, run: opts.run ?? processRunner });
  }
}

/**
 * A system proxy and a login keychain exist on macOS, and wherever launchd is the supervisor:
 * forced (tests, before any install) or recorded by init (the daemon that launchd runs does not
 * inherit HALTON_METER_SUPERVISOR).
 */
function managesMac(opts: PlatformOptions): boolean {
  const forced = (opts.env ?? process.env).HALTON_METER_SUPERVISOR;
  const kind = forced !== undefined && forced !== "" ? forced : opts.recorded;
  return process.platform === "darwin" || kind === "launchd";
}

/** Desktop notifications of budget alerts: notify-send on Linux, osascript on macOS. */
export function desktopNotifierFor(report: (reason: string) => void, platform = process.platform): Notifier | null {
  if (platform === "darwin") return createOsascriptNotifier({ run: notifyRunner, report });
  if (platform === "linux") return createNotifySendNotifier({ run: notifyRunner, report });
  return null;
}

/** The system proxy `full` mode and `reset-proxy` manage. */
export function systemProxyFor(opts: PlatformOptions): SystemProxy | null {
  return managesMac(opts) ? createSystemProxy({ home: opts.home, run: opts.run ?? processRunner }) : null;
}

export function keychainFor(opts: PlatformOptions): Keychain | null {
  return managesMac(opts) ? createKeychain({ userHome: userHome(opts.env ?? process.env), run: opts.run ?? processRunner }) : null;
}

const platformOf = (supervisor: Supervisor, opts: PlatformOptions, passedOver: Platform["passedOver"] = null): Platform => ({
  supervisor,
  systemProxy: systemProxyFor(opts),
  keychain: keychainFor(opts),
  passedOver,
});

export async function pickPlatform(opts: PlatformOptions): Promise<Platform> {
  const env = opts.env ?? process.env;
  const forced = env.HALTON_METER_SUPERVISOR;
  if (forced !== undefined && forced !== "") {
    if (!(KINDS as readonly string[]).includes(forced)) {
      throw new UserError(`HALTON_METER_SUPERVISOR=${forced} is not a supervisor`, `use one of ${KINDS.join(", ")}, or unset it to let halton-meter choose`, EXIT.usage);
    }
    const supervisor = supervisorOf(forced as SupervisorKind, opts);
    const why = await supervisor.unavailable();
    if (why) throw new UserError(`HALTON_METER_SUPERVISOR=${forced}: ${why.reason}`, why.hint);
    return platformOf(supervisor, opts);
  }
  if (opts.recorded) return platformOf(supervisorOf(opts.recorded, opts), opts);
  if (process.platform === "darwin") {
    const launchd = supervisorOf("launchd", opts);
    const why = await launchd.unavailable();
    if (why) throw new UserError(why.reason, why.hint);
    return platformOf(launchd, opts);
  }
  const systemd = supervisorOf("systemd", opts);
  const why = await systemd.unavailable();
  if (!why) return platformOf(systemd, opts);
  return platformOf(supervisorOf("fallback", opts), opts, { kind: "systemd", ...why });
}
