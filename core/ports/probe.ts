// The real port probes. Binding says whether a port is free; connecting says whether something
// accepts on it without ever taking the port from its owner (the edge, mid-restart).

export function isPortFree(port: number, hostname = "127.0.0.1"): boolean {
  try {
    const listener = Bun.listen({ hostname, port, socket: { data() {} } });
    listener.stop(true);
    return true;
  } catch {
    return false;
  }
}

export function anyFreePort(hostname = "127.0.0.1"): number {
  const listener = Bun.listen({ hostname, port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/** Whether something accepts a TCP connection on 127.0.0.1:port within `timeoutMs`. */
export function acceptsConnections(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          s.end();
          done(true);
        },
        data() {},
        connectError: () => done(false),
        error: () => done(false),
      },
    }).catch(() => done(false));
  });
}
