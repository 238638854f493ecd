// Which ports a running edge takes when effective-ports.json or config.toml changes. Pure.
// The edge follows the daemon's ports, which the daemon may re-choose at any start, but never
// leaves its own: shells and tools point at it. Only a pinned `daemon.edge_port` that differs,
// once a chooser (init, the daemon, doctor) has recorded it, moves it: an edit alone, a corrupt,
// deleted or rewritten file, and a broken config (its pins unknown) all keep the port.

import type { Ports } from "../ports/allocate.ts";

export interface FollowInput {
  /** The port the edge listens on. */
  listening: number;
  /** The ports it uses now. */
  current: Ports;
  /** effective-ports.json, or null when it is missing or corrupt. */
  recorded: Ports | null;
  /** `daemon.edge_port` from a valid config.toml; null when unpinned or the config is broken. */
  pinnedEdge: number | null;
}

export function followPorts(input: FollowInput): Ports {
  const { recorded, pinnedEdge } = input;
  const moveTo = pinnedEdge !== null && recorded?.edge === pinnedEdge ? pinnedEdge : null;
  return {
    edge: moveTo ?? input.listening,
    internal: recorded?.internal ?? input.current.internal,
    api: recorded?.api ?? input.current.api,
  };
}
