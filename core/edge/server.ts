// The edge's I/O shell: accepts on the user-facing port and carries out what each connection's
// route (route.ts: one request head, then a chain to the daemon or a raw tunnel) asks for:
// timers, the daemon's health, dials, relays. After the decision it only shuttles bytes. Every
// per-connection failure ends that connection alone.

import type { Socket, TCPSocketListener } from "bun";
import { reportBug } from "../log/crash-guard.ts";
import type { EventLog } from "../log/jsonl.ts";
import type { Ports } from "../ports/allocate.ts";
import type { HealthCache } from "../proxy/health-cache.ts";
import { proxyLineFor } from "../proxy/proxy-protocol.ts";
import type { Dialer } from "../proxy/dialer.ts";
import { disarmAcceptTimer, forwardingHandlers, idleEvents, type SocketState, type Sock, splice } from "../proxy/sockets.ts";
import { Outbox } from "../proxy/outbox.ts";
import { plainResponse } from "../proxy/response.ts";
import { DaemonHealth } from "./health-probe.ts";
import { EdgeRoute, type Handover, type RouteCommand, type RouteEvent } from "./route.ts";

export interface EdgeOptions {
  ports: Ports;
  intercepted: ReadonlySet<string>;
  healthyTtlMs: number;
  probeTimeoutMs: number;
  headTimeoutMs: number;
  /**
   * `[edge] chain_timeout_ms`: the daemon must accept and answer a chained CONNECT within it, or
   * the request goes through raw. A stopped or blocked daemon still completes TCP handshakes
   * (the kernel's backlog), so only its first byte tells a live daemon from a hung one.
   */
  chainTimeoutMs: number;
  maxConnections: number;
  log: EventLog;
  hostname?: string;
  now?: () => number;
  /**
   * How targets are reached in passthrough: `[upstream] resolve` and proxy, as the daemon reaches
   * them (a mapped host must get the same address whether the daemon is up or not), with the
   * edge's connect timeout. The daemon itself is always dialled directly on loopback.
   */
  dialer: Dialer;
}

export interface Edge {
  readonly port: number;
  /** Open client connections. */
  readonly active: number;
  readonly health: HealthCache;
  /** New ports (SIGHUP or a changed effective-ports.json); open tunnels are kept. */
  reload(ports: Ports): void;
  /** Stops accepting, waits up to graceMs for open tunnels, then closes what is left. */
  stop(graceMs: number): Promise<void>;
}

interface Conn {
  client: Sock;
  route: EdgeRoute;
  timers: Partial<Record<"head" | "chain", ReturnType<typeof setTimeout>>>;
  daemon?: { socket: Sock; out: Outbox };
  upstream?: Sock;
  /** Bytes the target sent before the relay was wired (a banner), for the client first. */
  early: Buffer[];
  closed: boolean;
}

/** Quiet time after the last connection closes before the edge collects its garbage. */
const IDLE_GC_MS = 2000;

export function startEdge(opts: EdgeOptions): Edge {
  const now = opts.now ?? Date.now;
  const hostname = opts.hostname ?? "127.0.0.1";
  const log = opts.log;
  let ports = { ...opts.ports };
  const health = new DaemonHealth({ apiPort: () => ports.api, probeTimeoutMs: opts.probeTimeoutMs, healthyTtlMs: opts.healthyTtlMs, now, log });
  const conns = new Set<Conn>();

  const ownPorts = () => new Set([ports.edge, ports.internal, ports.api]);

  function accept(client: Sock): void {
    disarmAcceptTimer(client);
    client.setNoDelay(true);
    const overLimit = conns.size >= opts.maxConnections;
    const route = new EdgeRoute({
      ownPorts: ownPorts(),
      intercepted: opts.intercepted,
      headTimeoutMs: opts.headTimeoutMs,
      chainTimeoutMs: opts.chainTimeoutMs,
      overLimit: overLimit ? opts.maxConnections : null,
      proxyLine: proxyLineFor(client.remoteAddress, client.remotePort, client.localAddress ?? hostname, client.localPort),
      clientPort: client.remotePort,
    });
    const conn: Conn = { client, route, timers: {}, early: [], closed: false };
    if (!overLimit) conns.add(conn);
    client.data = {
      on: {
        data: (d) => feed(conn, { kind: "data", bytes: d }),
        drain: () => {},
        end: () => feed(conn, { kind: "end" }),
        close: () => closed(conn),
      },
    };
    run(conn, route.start());
  }

  const feed = (conn: Conn, ev: RouteEvent) => run(conn, conn.route.handle(ev));

  /**
   * An answer from a promise (a probe, a dial): a bug in carrying it out costs this connection
   * alone, as a throwing socket callback does (sockets.ts), never the edge.
   */
  const answer = (conn: Conn, ev: RouteEvent) => {
    try {
      feed(conn, ev);
    } catch (err) {
      reportBug("proxy.callback_error", err, { callback: ev.kind });
      conn.client.terminate();
    }
  };

  /** Carries the route's commands out, in order. */
  function run(conn: Conn, commands: RouteCommand[]): void {
    const { client, timers } = conn;
    for (const c of commands) {
      switch (c.do) {
        case "set-timer":
          timers[c.name] = setTimeout(() => feed(conn, { kind: "timer", name: c.name }), c.ms);
          break;
        case "clear-timer":
          clearTimeout(timers[c.name]);
          break;
        case "fail":
          log.event("edge.error", { kind: c.kind, status: c.status, reason: c.reason, ...(c.where ? { host: c.where.host, port: c.where.port } : {}) }, c.status >= 500 ? "warn" : "info");
          if (conn.closed) break;
          client.write(plainResponse(c.status, c.reason, "edge"));
          client.end();
          break;
        case "pause-client":
          client.pause();
          break;
        case "end-client":
          client.end();
          break;
        case "check-health":
          health.healthy().then(
            (healthy) => answer(conn, { kind: "health", healthy }),
            () => answer(conn, { kind: "health", healthy: false }),
          );
          break;
        case "dial-daemon":
          opts.dialer.local(ports.internal, { timeoutMs: c.timeoutMs, abandoned: () => conn.route.abandoned }).then((d) => {
            if (!d.ok) return answer(conn, { kind: "daemon-dialed", ok: false, failure: d.kind });
            const socket = d.socket;
            conn.daemon = { socket, out: new Outbox((b) => socket.write(b)) };
            socket.data.on = {
              data: (b) => feed(conn, { kind: "daemon-data", bytes: Buffer.from(b) }),
              drain: () => conn.daemon?.out.flush(),
              end: () => feed(conn, { kind: "daemon-closed" }),
              close: () => feed(conn, { kind: "daemon-closed" }),
            };
            answer(conn, { kind: "daemon-dialed", ok: true });
          });
          break;
        case "send-daemon":
          conn.daemon?.out.send(c.bytes);
          break;
        case "drop-daemon":
          if (conn.daemon) {
            conn.daemon.socket.data.on = idleEvents();
            conn.daemon.socket.terminate();
            conn.daemon = undefined;
          }
          break;
        case "splice-daemon": {
          const daemon = conn.daemon!;
          conn.upstream = daemon.socket;
          const sp = splice(client, daemon.socket, () => closed(conn));
          for (const b of daemon.out.take()) sp.up.push(b);
          handOver(sp, c.up);
          sp.down.push(c.first);
          // A backed-up pipe paused the client itself and resumes it on drain.
          if (sp.up.pending === 0) client.resume();
          break;
        }
        case "invalidate-health":
          health.invalidate(c.why);
          break;
        case "dial-target":
          opts.dialer.tcp(c.target.host, c.target.port, { abandoned: () => conn.route.abandoned }).then((d) => {
            if (!d.ok) return answer(conn, { kind: "target-dialed", ok: false, failure: d.kind, reason: d.reason });
            conn.upstream = d.socket;
            conn.early = d.early;
            answer(conn, { kind: "target-dialed", ok: true });
          });
          break;
        case "drop-target":
          conn.upstream?.terminate();
          break;
        case "relay": {
          const upstream = conn.upstream!;
          const sp = splice(client, upstream, () => closed(conn));
          if (c.toClient) sp.down.push(Buffer.from(c.toClient));
          for (const b of conn.early) sp.down.push(b);
          conn.early = [];
          handOver(sp, c.up);
          if (sp.up.pending === 0) client.resume();
          break;
        }
        case "log":
          log.event(c.event, c.fields, c.level);
          break;
      }
    }
  }

  function handOver(sp: ReturnType<typeof splice>, up: Handover): void {
    for (const b of up.chunks) sp.up.push(b);
    if (up.ended) sp.up.endOfInput();
  }

  function closed(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    clearTimeout(conn.timers.head);
    clearTimeout(conn.timers.chain);
    feed(conn, { kind: "close" });
    conn.upstream?.end();
    conns.delete(conn);
    if (conns.size === 0) collectWhenIdle();
  }

  // A burst of tunnels leaves megabytes of relayed buffers that the GC has had no reason to
  // collect: once the edge is idle, collect them so that it goes back to its idle size.
  let idleGc: ReturnType<typeof setTimeout> | undefined;
  function collectWhenIdle(): void {
    clearTimeout(idleGc);
    idleGc = setTimeout(() => conns.size === 0 && Bun.gc(true), IDLE_GC_MS);
    idleGc.unref();
  }

  const listen = (port: number): TCPSocketListener<SocketState> =>
    Bun.listen<SocketState>({
      hostname,
      port,
      allowHalfOpen: true,
      socket: { ...forwardingHandlers, open: (s: Socket<SocketState>) => accept(s) },
    });

  let listener = listen(ports.edge);

  return {
    get port() {
      return listener.port;
    },
    get active() {
      return conns.size;
    },
    get health() {
      return health.current;
    },
    reload(next) {
      if (next.edge !== listener.port) {
        try {
          const fresh = listen(next.edge);
          listener.stop(false);
          listener = fresh;
        } catch (err) {
          log.event("edge.error", { kind: "rebind", port: next.edge, reason: (err as Error).message }, "error");
          return;
        }
      }
      ports = { ...next };
      health.reset();
    },
    async stop(graceMs) {
      listener.stop(false);
      clearTimeout(idleGc);
      const deadline = now() + graceMs;
      while (conns.size > 0 && now() < deadline) await Bun.sleep(Math.min(50, Math.max(1, deadline - now())));
      for (const c of conns) {
        c.upstream?.terminate();
        c.client.terminate();
      }
      conns.clear();
    },
  };
}

