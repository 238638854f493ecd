import type { Config } from "../config/schema.ts";
import { type AllocateResult, allocatePorts, type Ports } from "./allocate.ts";
import { readEffectivePorts, writeEffectivePorts } from "./effective.ts";
import { anyFreePort, isPortFree } from "./probe.ts";

export { type AllocateResult, allocatePorts, CONFIG_KEY, DEFAULT_PORTS, type PortName, type Ports } from "./allocate.ts";
export { type EffectivePortsFile, readEffectivePorts, type ReadPortsResult, writeEffectivePorts } from "./effective.ts";
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
 * `heldByUs` are ports our own running processes hold (so they are not "taken").
 */
export function chooseAndRecordPorts(file: string, config: Config, heldByUs: ReadonlySet<number> = new Set()): AllocateResult {
  const previous = readEffectivePorts(file);
  const result = allocatePorts({
    pinned: pinnedPorts(config),
    previous: previous.ok ? previous.ports : null,
    heldByUs,
    isFree: (p) => isPortFree(p),
    anyFreePort: () => anyFreePort(),
  });
  if (result.ok) writeEffectivePorts(file, result.ports);
  return result;
}

/** The ports a process should use: the recorded tuple when it honours config, else a fresh choice. */
export function resolvePorts(file: string, config: Config, heldByUs: ReadonlySet<number> = new Set()): AllocateResult {
  const recorded = readEffectivePorts(file);
  if (recorded.ok && honoursPins(recorded.ports, config)) return { ok: true, ports: recorded.ports, fallbacks: [] };
  return chooseAndRecordPorts(file, config, heldByUs);
}

/** The daemon's ports as pinned or recorded: the edge never binds them, so they are not "taken" to it. */
export function daemonPortsHeld(file: string, config: Config): Set<number> {
  const held = new Set<number>();
  const pinned = pinnedPorts(config);
  const recorded = readEffectivePorts(file);
  for (const p of [pinned.internal, pinned.api, recorded.ok ? recorded.ports.internal : undefined, recorded.ok ? recorded.ports.api : undefined]) {
    if (p !== undefined) held.add(p);
  }
  return held;
}
