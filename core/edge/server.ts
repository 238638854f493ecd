// The edge's I/O shell: accepts on the user-facing port and carries out what each connection's
// route (route.ts: one request head, then a chain to the daemon or a raw tunnel) asks for:
// timers, the daemon's health, dials, relays. After the decision it only shuttles bytes. Every
// per-connection failure ends that connection alone.

import type { Socket, TCPSocketListener } from "bun";
import type { EventLog } from "../log/jsonl.ts";
import type { Ports } from "../ports/allocate.ts";
import type { Dialed, Dialer } from "../proxy/dialer.ts";
import { type ConnectionGuard, connectionGuard } from "../proxy/guard.ts";
import type { HealthCache } from "../proxy/health-cache.ts";
import { Outbox } from "../proxy/outbox.ts";
import { proxyLineFor } from "../proxy/proxy-protocol.ts";
import { plainResponse } from "../proxy/response.ts";
import { disarmAcceptTimer, forwardingHandlers, idleEvents, type Sock, type SocketState, splice } from "../proxy/sockets.ts";
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
  timers: Record<"head" | "chain", ReturnType<typeof setTimeout> | null>;
  daemon: { socket: Sock; out: Outbox } | null;
  upstream: Sock | null;
  /** Bytes the target sent before the relay was wired (a banner), for the client first. */
  early: Buffer[];
  closed: boolean;
  /** A bug in carrying out its route closes all of it, and nothing more is fed. */
  guard: ConnectionGuard;
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
  const ownPortsOf = (p: Ports): ReadonlySet<number> => new Set([p.edge, p.internal, p.api]);
  let ownPorts = ownPortsOf(ports);

  function accept(client: Sock): void {
    disarmAcceptTimer(client);
    client.setNoDelay(true);
    const overLimit = conns.size >= opts.maxConnections;
    const route = new EdgeRoute({
      ownPorts: () => ownPorts,
      intercepted: opts.intercepted,
      headTimeoutMs: opts.headTimeoutMs,
      chainTimeoutMs: opts.chainTimeoutMs,
      overLimit: overLimit ? opts.maxConnections : null,
      proxyLine: () => proxyLineFor(client.remoteAddress, client.remotePort, client.localAddress ?? hostname, client.localPort),
      clientPort: client.remotePort,
    });
    const conn: Conn = {
      client,
      route,
      timers: { head: null, chain: null },
      daemon: null,
      upstream: null,
      early: [],
      closed: false,
      guard: connectionGuard(() => {
        for (const s of [conn.daemon?.socket, conn.upstream, conn.client]) s?.terminate();
      }),
    };
    if (!overLimit) conns.add(conn);
    client.data = {
      on: {
        data: (d) => feed(conn, { kind: "data", bytes: d }),
        drain: () => {},
        end: () => feed(conn, { kind: "end" }),
        close: () => closed(conn),
      },
    };
    conn.guard.run("start", () => run(conn, route.start()));
  }

  /**
   * Every way into a route (a socket callback, a timer, a probe's or a dial's answer) comes
   * through here: a bug in it or in carrying out its commands costs this connection alone.
   */
  const feed = (conn: Conn, ev: RouteEvent) => conn.guard.run(ev.kind, () => run(conn, conn.route.handle(ev)));

  /** A dial's answer, guarded; one that lands after the connection broke is closed. */
  const afterDial = (conn: Conn, what: string, p: Promise<Dialed>, then: (d: Dialed) => void) =>
    conn.guard.after(what, p, then, (d) => d.ok && d.socket.terminate());

  /** Carries the route's commands out, in order. */
  function run(conn: Conn, commands: RouteCommand[]): void {
    const { client, timers } = conn;
    for (const c of commands) {
      switch (c.do) {
        case "set-timer":
          timers[c.name] = setTimeout(() => feed(conn, { kind: "timer", name: c.name }), c.ms);
          break;
        case "clear-timer":
          if (timers[c.name]) clearTimeout(timers[c.name]!);
          timers[c.name] = null;
          break;
        case "fail":
          log.event("edge.error", { kind: c.kind, status: c.status, reason: c.reason, ...(c.where ? { host: c.where.host, port: c.where.port } : {}), ...c.fields }, c.status >= 500 ? "warn" : "info");
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
            (healthy) => feed(conn, { kind: "health", healthy }),
            // A probe that failed by a bug: metering is off for this connection, the tunnel still goes through.
            () => feed(conn, { kind: "health", healthy: false }),
          );
          break;
        case "dial-daemon":
          afterDial(conn, c.do, opts.dialer.local(ports.internal, { timeoutMs: c.timeoutMs, abandoned: () => !conn.route.wants("daemon") }), (d) => {
            if (!d.ok) return feed(conn, { kind: "daemon-dialed", ok: false, failure: d.kind });
            const socket = d.socket;
            conn.daemon = { socket, out: new Outbox((b) => socket.write(b)) };
            socket.data.on = {
              data: (b) => feed(conn, { kind: "daemon-data", bytes: Buffer.from(b) }),
              drain: () => conn.daemon?.out.flush(),
              end: () => feed(conn, { kind: "daemon-closed" }),
              close: () => feed(conn, { kind: "daemon-closed" }),
            };
            feed(conn, { kind: "daemon-dialed", ok: true });
          });
          break;
        case "send-daemon":
          conn.daemon?.out.send(c.bytes);
          break;
        case "drop-daemon":
          if (conn.daemon) {
            conn.daemon.socket.data.on = idleEvents();
            conn.daemon.socket.terminate();
            conn.daemon = null;
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
          afterDial(conn, c.do, opts.dialer.tcp(c.target.host, c.target.port, { abandoned: () => !conn.route.wants("target") }), (d) => {
            if (!d.ok) return feed(conn, { kind: "target-dialed", ok: false, failure: d.kind, reason: d.reason });
            conn.upstream = d.socket;
            conn.early = d.early;
            feed(conn, { kind: "target-dialed", ok: true });
          });
          break;
        case "drop-target":
          conn.upstream?.terminate();
          conn.upstream = null;
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
          log.event(c.event, c.fields);
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
    for (const t of Object.values(conn.timers)) if (t) clearTimeout(t);
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
      ownPorts = ownPortsOf(ports);
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

