// `[upstream] resolve`: where to connect for a host, like curl --resolve. The daemon dials
// through it and so does the edge in passthrough: a mapped host must reach the same place
// whether the daemon is up or not (air-gapped setups, tests with fake providers).

/** The address for `host` ("addr" or "addr:port" in the table; [v6] allowed), or the host itself. */
export function resolveAddress(resolve: Readonly<Record<string, string>>, host: string, port: number): { hostname: string; port: number } {
  const mapped = resolve[host];
  if (!mapped) return { hostname: host, port };
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(mapped);
  return { hostname: m?.[1] ?? mapped, port: m?.[2] ? Number(m[2]) : port };
}
