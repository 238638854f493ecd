// Choosing the three ports. Pure: whether a port is free is asked of an injected probe.

export type PortName = "edge" | "internal" | "api";
export type Ports = Record<PortName, number>;

export const DEFAULT_PORTS: Readonly<Ports> = Object.freeze({ edge: 8081, internal: 8090, api: 8765 });
export const CONFIG_KEY: Readonly<Record<PortName, string>> = Object.freeze({
  edge: "daemon.edge_port",
  internal: "daemon.internal_port",
  api: "daemon.api_port",
});
const FALLBACK_SPAN = 100;

export interface AllocateInput {
  /** Ports pinned in config.toml; a pinned port is used or refused, never replaced. */
  pinned: Partial<Ports>;
  /** The tuple chosen last time (or the port our running edge holds), preferred so a restart keeps its ports. */
  previous?: Partial<Ports> | null;
  /** Ports our own running processes hold: they count as available to us. */
  heldByUs?: ReadonlySet<number>;
  isFree: (port: number) => boolean;
  /** Last resort when every port near the default is taken: one the OS picks. */
  anyFreePort: () => number;
}

export type AllocateResult =
  | { ok: true; ports: Ports; fallbacks: PortName[] }
  | { ok: false; name: PortName; port: number; message: string };

export function allocatePorts(input: AllocateInput): AllocateResult {
  const chosen = new Set<number>();
  const ports = {} as Ports;
  const fallbacks: PortName[] = [];
  const available = (p: number) => !chosen.has(p) && (input.heldByUs?.has(p) || input.isFree(p));

  for (const name of ["edge", "internal", "api"] as const) {
    const pin = input.pinned[name];
    if (pin !== undefined) {
      if (!available(pin)) {
        const why = chosen.has(pin) ? "is already used by another of our ports" : "is in use by another process";
        return { ok: false, name, port: pin, message: `${CONFIG_KEY[name]} = ${pin} is pinned in config.toml but ${why}; free it or pin another port` };
      }
      ports[name] = pin;
    } else {
      const prev = input.previous?.[name];
      const def = DEFAULT_PORTS[name];
      let port: number | undefined;
      if (prev !== undefined && available(prev)) port = prev;
      else if (available(def)) port = def;
      else {
        for (let p = def + 1; p <= Math.min(def + FALLBACK_SPAN, 65535) && port === undefined; p++) if (available(p)) port = p;
        while (port === undefined) {
          const p = input.anyFreePort();
          if (available(p)) port = p;
        }
      }
      if (port !== def) fallbacks.push(name);
      ports[name] = port;
    }
    chosen.add(ports[name]);
  }
  return { ok: true, ports, fallbacks };
}
