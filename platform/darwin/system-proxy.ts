// The macOS system proxy in full mode: every network service's HTTP and HTTPS proxy pointed at
// the edge, with the previous settings kept in a snapshot so uninstall puts them back.

import { DEFAULT_PORTS, readEffectivePorts } from "../../core/ports/index.ts";
import { statePaths } from "../../core/paths.ts";
import type { Runner, SystemProxy } from "../../core/service/supervisor.ts";
import { ServiceError } from "../../core/service/errors.ts";
import { createNetworksetup, NetworksetupError, PROXY_KINDS, type ProxyKind, type ProxySetting } from "./networksetup.ts";
import { setProxyManaged } from "../../core/service/sentinels.ts";
import { type ProxySnapshot, readSnapshot, removeSnapshot, writeSnapshot } from "./proxy-state.ts";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
const OFF: ProxySetting = { enabled: false, server: "", port: 0, authenticated: false };
const RESET_HINT = "`halton-meter reset-proxy` turns off every proxy that points at Halton Meter";

export function createSystemProxy(opts: { home: string; run: Runner }): SystemProxy {
  const ns = createNetworksetup(opts.run);
  const paths = statePaths(opts.home);

  /** Ports a proxy of ours could point at, read from files only: reset must work without config. */
  function ourPorts(extra?: number): Set<number> {
    const ports = new Set<number>([DEFAULT_PORTS.edge]);
    const recorded = readEffectivePorts(paths.effectivePorts);
    if (recorded.ok) ports.add(recorded.ports.edge);
    const snap = readSnapshot(opts.home);
    if (snap) ports.add(snap.port);
    if (extra !== undefined) ports.add(extra);
    return ports;
  }
  const pointsAtUs = (s: ProxySetting, ports: Set<number>) => s.enabled && LOOPBACK.has(s.server) && ports.has(s.port);

  async function turnOffOurs(): Promise<string[]> {
    const ports = ourPorts();
    const done: string[] = [];
    for (const service of await ns.services()) {
      for (const kind of PROXY_KINDS) {
        const current = await ns.get(service, kind);
        if (!pointsAtUs(current, ports)) continue;
        await ns.setState(service, kind, false);
        done.push(`${service}: ${label(kind)} proxy ${current.server}:${current.port} turned off`);
      }
    }
    return done;
  }

  return {
    enable: (port: number) =>
      explained("could not set the system proxy", async () => {
        const ports = ourPorts(port);
        const previous = readSnapshot(opts.home);
        const services = await ns.services();
        // Services gone since an earlier enable stay in the snapshot: they may come back.
        const snapshot: ProxySnapshot = { version: 1, taken_at: previous?.taken_at ?? new Date().toISOString(), port, services: { ...previous?.services } };
        for (const service of services) {
          const entry = {} as Record<ProxyKind, ProxySetting>;
          for (const kind of PROXY_KINDS) {
            // The first snapshot is the truth: a second enable must not record our own proxy as "before".
            const kept = previous?.services[service]?.[kind];
            const current = kept ? null : await ns.get(service, kind);
            entry[kind] = kept ?? (pointsAtUs(current!, ports) ? OFF : current!);
          }
          snapshot.services[service] = entry;
        }
        // Written before anything changes, so a failure half-way can still be undone.
        writeSnapshot(opts.home, snapshot);
        for (const service of services) {
          for (const kind of PROXY_KINDS) if (!snapshot.services[service]![kind].authenticated) await ns.set(service, kind, "127.0.0.1", port);
        }
        setProxyManaged(paths, true);
      }),

    restore: () =>
      explained("could not restore the system proxy", async () => {
        const snapshot = readSnapshot(opts.home);
        if (!snapshot) {
          const off = await turnOffOurs();
          setProxyManaged(paths, false);
          return ["no system proxy snapshot to restore", ...off];
        }
        const present = new Set(await ns.services());
        const done: string[] = [];
        let failures = 0;
        for (const [service, entry] of Object.entries(snapshot.services)) {
          if (!present.has(service)) {
            done.push(`${service}: no longer exists, skipped`);
            continue;
          }
          for (const kind of PROXY_KINDS) {
            const was = entry[kind];
            try {
              if (was.authenticated) done.push(`${service}: ${label(kind)} proxy was authenticated, left unchanged`);
              else {
                if (was.server !== "") await ns.set(service, kind, was.server, was.port);
                await ns.setState(service, kind, was.enabled);
                done.push(`${service}: ${label(kind)} proxy restored (${describe(was)})`);
              }
            } catch (err) {
              failures++;
              done.push(`${service}: ${label(kind)} proxy not restored: ${(err as Error).message}`);
            }
          }
        }
        // A failed service keeps the snapshot so that a second try can still put it back.
        if (failures === 0) {
          removeSnapshot(opts.home);
          setProxyManaged(paths, false);
        }
        return done;
      }),

    reset: () =>
      explained("could not reset the system proxy", async () => {
        const done = await turnOffOurs();
        return done.length > 0 ? done : ["no network service's proxy points at Halton Meter"];
      }),
  };
}

/** networksetup failures become errors a person can act on; the watchdog retries on them. */
async function explained<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof NetworksetupError) throw new ServiceError(`${what}: ${err.message}`, RESET_HINT);
    throw err;
  }
}

const label = (kind: ProxyKind) => (kind === "web" ? "HTTP" : "HTTPS");
const describe = (s: ProxySetting) => `${s.enabled ? "on" : "off"}${s.server ? `, ${s.server}:${s.port}` : ""}`;
