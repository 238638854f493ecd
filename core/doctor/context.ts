// What the checks look at, gathered once and shared: doctor asks the supervisor, the ports file,
// /health and /proc one time each, however many checks need the answer.

import type { ClientResult } from "../api/client.ts";
import type { Health } from "../api/health.ts";
import type { Config } from "../config/index.ts";
import type { StatePaths } from "../paths.ts";
import { readEffectivePorts, type ReadPortsResult, runningEdgePort } from "../ports/index.ts";
import type { Sentinels } from "../service/sentinels.ts";
import type { ServiceStatus, Supervisor, Unavailable } from "../service/supervisor.ts";
import { listenerOn, type Listener } from "./listeners.ts";

export interface DoctorDeps {
  paths: StatePaths;
  config: Config;
  /** Why config.toml was refused (the checks then use the defaults); null when it is valid. */
  configError: string | null;
  /** This shell's environment. */
  env: Record<string, string | undefined>;
  userHome: string;
  shell: string | undefined;
  sentinels: Sentinels;
  /** Null when none could be chosen (its reason is in supervisorError). */
  supervisor: Supervisor | null;
  supervisorError: Unavailable | null;
  health: (apiPort: number) => Promise<ClientResult<Health>>;
  /** Whether something accepts TCP connections on 127.0.0.1:port. */
  reachable: (port: number) => Promise<boolean>;
  procRoot?: string;
  now?: () => Date;
}

export interface DoctorContext extends DoctorDeps {
  now: () => Date;
  installed: boolean;
  ports(): ReadPortsResult;
  /** The supervisor's view; null when there is no usable supervisor. */
  services(): Promise<ServiceStatus[] | null>;
  service(name: "daemon" | "edge"): Promise<ServiceStatus | null>;
  /** The daemon's /health; null when no ports are recorded. */
  daemonHealth(): Promise<ClientResult<Health> | null>;
  listener(port: number): Listener | null;
  /** The port our running edge holds by its own record (core/ports/edge-record.ts); null when none. */
  runningEdge(): number | null;
}

const once = <T>(fn: () => T): (() => T) => {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = fn();
      done = true;
    }
    return value;
  };
};

export function doctorContext(deps: DoctorDeps): DoctorContext {
  const ports = once(() => readEffectivePorts(deps.paths.effectivePorts));
  const services = once(async () => {
    if (!deps.supervisor || deps.supervisorError) return null;
    try {
      return await deps.supervisor.status();
    } catch {
      return null;
    }
  });
  const daemonHealth = once(async () => {
    const p = ports();
    return p.ok ? deps.health(p.ports.api) : null;
  });
  const runningEdge = once(() => runningEdgePort(deps.paths.home, deps.procRoot));
  const listeners = new Map<number, Listener | null>();
  return {
    ...deps,
    now: deps.now ?? (() => new Date()),
    installed: deps.sentinels.mode !== null,
    ports,
    services,
    service: async (name) => (await services())?.find((s) => s.name === name) ?? null,
    daemonHealth,
    runningEdge,
    listener(port) {
      if (!listeners.has(port)) listeners.set(port, listenerOn(port, deps.procRoot));
      return listeners.get(port)!;
    },
  };
}
