import type { Config } from "../config/schema.ts";
import { type AllocateResult, allocatePorts, type Ports } from "./allocate.ts";
import { readEffectivePorts, writeEffectivePorts } from "./effective.ts";
import { anyFreePort, isPortFree } from "./probe.ts";

export { type AllocateResult, allocatePorts, CONFIG_KEY, DEFAULT_PORTS, type PortName, type Ports } from "./allocate.ts";
export { type EffectivePortsFile, readEffectivePorts, type ReadPortsResult, writeEffectivePorts } from "./effective.ts";
export { type EdgeRecord, edgeRecordFile, readEdgeRecord, runningEdgePort, writeEdgeRecord } from "./edge-record.ts";
export { anyFreePort, isPortFree } from "./probe.ts";

export function pinnedPorts(config: Config): Partial<Ports> {
  const d = config.daemon;
  const pinned: Partial<Ports> = {};
  if (d.edge_port !== undefined) pinned.edge = d.edge_port;
  if (d.internal_port !== undefined) pinned.internal = d.internal_port;
  if (d.api_port !== undefined) pinned.api = d.api_port;
  return pinned;
}

/** True when a recorded tuple agrees with every pin in config. */
export function honoursPins(ports: Ports, config: Config): boolean {
  const pinned = pinnedPorts(config);
  return (Object.keys(pinned) as (keyof Ports)[]).every((k) => pinned[k] === ports[k]);
}

/**
 * Chooses the ports (keeping last time's where possible) and records them in effective-ports.json.
 * `heldByUs` are ports our own running processes hold (so they are not "taken"). `runningEdge`,
 * the port our running edge holds (edge-record.ts), is ours and is kept unless config pins another:
 * shells point at it, whatever the file said.
 */
export function chooseAndRecordPorts(file: string, config: Config, heldByUs: ReadonlySet<number> = new Set(), runningEdge: number | null = null): AllocateResult {
  return chooseAndRecord(file, config, runningEdge === null ? heldByUs : new Set([...heldByUs, runningEdge]), runningEdge);
}

/** `preferEdge` is tried first for the edge (when not pinned), like last time's tuple is. */
function chooseAndRecord(file: string, config: Config, heldByUs: ReadonlySet<number>, preferEdge: number | null): AllocateResult {
  const recorded = readEffectivePorts(file);
  const previous: Partial<Ports> = recorded.ok ? { ...recorded.ports } : {};
  if (preferEdge !== null) previous.edge = preferEdge;
  const result = allocatePorts({ pinned: pinnedPorts(config), previous, heldByUs, isFree: (p) => isPortFree(p), anyFreePort: () => anyFreePort() });
  if (result.ok) writeEffectivePorts(file, result.ports);
  return result;
}

/**
 * The ports a process should use: the recorded tuple when it honours config (and names the port
 * our running edge holds, unless config pins the edge elsewhere), else a fresh choice, recorded.
 */
export function resolvePorts(file: string, config: Config, heldByUs: ReadonlySet<number> = new Set(), runningEdge: number | null = null): AllocateResult {
  const recorded = readEffectivePorts(file);
  const edgeAgrees = runningEdge === null || config.daemon.edge_port !== undefined || (recorded.ok && recorded.ports.edge === runningEdge);
  if (recorded.ok && honoursPins(recorded.ports, config) && edgeAgrees) return { ok: true, ports: recorded.ports, fallbacks: [] };
  return chooseAndRecordPorts(file, config, heldByUs, runningEdge);
}

/**
 * The ports the edge starts on: the recorded tuple when it honours config; otherwise a fresh
 * choice that prefers the port the edge last held (shells point at it) when the file is unusable.
 * `config` null means config.toml is broken: its pins are unknown, so the recorded tuple is taken
 * as it is, and a fresh choice is made from the defaults without recording it (the daemon, which
 * refuses that config, must not inherit a guess).
 */
export function edgeStartPorts(file: string, config: Config | null, lastEdge: number | null): AllocateResult {
  const recorded = readEffectivePorts(file);
  if (recorded.ok && (!config || honoursPins(recorded.ports, config))) return { ok: true, ports: recorded.ports, fallbacks: [] };
  // Not held: a port the last edge had may belong to someone else by now.
  const held = daemonPortsHeld(file, config);
  if (config) return chooseAndRecord(file, config, held, recorded.ok ? null : lastEdge);
  return allocatePorts({ pinned: {}, previous: lastEdge === null ? null : { edge: lastEdge }, heldByUs: held, isFree: (p) => isPortFree(p), anyFreePort: () => anyFreePort() });
}

/** The daemon's ports as pinned or recorded: the edge never binds them, so they are not "taken" to it. */
export function daemonPortsHeld(file: string, config: Config | null): Set<number> {
  const held = new Set<number>();
  const pinned = config ? pinnedPorts(config) : {};
  const recorded = readEffectivePorts(file);
  for (const p of [pinned.internal, pinned.api, recorded.ok ? recorded.ports.internal : undefined, recorded.ok ? recorded.ports.api : undefined]) {
    if (p !== undefined) held.add(p);
  }
  return held;
}
