// The edge's I/O shell: accepts on the user-facing port, parses one request head, then either
// chains the connection to the daemon (healthy, metered host) or tunnels it raw. After the
// decision it only shuttles bytes. Every per-connection failure ends that connection alone.

import type { Socket, TCPSocketListener } from "bun";
import type { EventLog } from "../log/jsonl.ts";
import type { Ports } from "../ports/allocate.ts";
import { MAX_HEAD_BYTES, parseRequestHead } from "../proxy/head.ts";
import { type HealthCache, initialHealth, invalidate, isFresh, recordProbe } from "../proxy/health-cache.ts";
import { proxyLineFor } from "../proxy/proxy-protocol.ts";
import { resolveAddress } from "../proxy/resolve.ts";
import { bunConnect, type ConnectFailure, type Connector, describeConnectFailure, openConnection } from "../proxy/connect.ts";
import { disarmAcceptTimer, forwardingHandlers, idleEvents, type SocketState, type Sock, splice } from "../proxy/sockets.ts";
import { Outbox } from "../proxy/outbox.ts";
import { CONNECTION_ESTABLISHED, plainResponse } from "../proxy/response.ts";
import { decide, type EdgeDecision } from "./decide.ts";
import { probeHealth } from "./health-probe.ts";

export interface EdgeOptions {
  ports: Ports;
  intercepted: ReadonlySet<string>;
  healthyTtlMs: number;
  probeTimeoutMs: number;
  headTimeoutMs: number;
  connectTimeoutMs: number;
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
  /** How targets are reached in passthrough (`[upstream] proxy` supplies one); the daemon is always dialled directly. */
  connect?: Connector;
  /** `[upstream] resolve`: a mapped host is tunnelled to the same address the daemon would use. */
  resolve?: Readonly<Record<string, string>>;
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

/** How a chain to the daemon ended: it answered, closed unanswered, refused the dial, or stayed silent past the deadline. */
type ChainVerdict = "answered" | "closed" | "refused" | "silent";

type ErrorKind = "bad-request" | "head-too-large" | "head-timeout" | "loop" | "over-capacity" | ConnectFailure;

interface Conn {
  client: Sock;
  head: Buffer;
  pending: Buffer[];
  pendingBytes: number;
  timer?: ReturnType<typeof setTimeout>;
  upstream?: Sock;
  /** The client half-closed before the relay was wired. */
  clientEnded: boolean;
  closed: boolean;
}

const PENDING_CAP = 1024 * 1024;
/** Quiet time after the last connection closes before the edge collects its garbage. */
const IDLE_GC_MS = 2000;

export function startEdge(opts: EdgeOptions): Edge {
  const now = opts.now ?? Date.now;
  const connect = opts.connect ?? bunConnect;
  const hostname = opts.hostname ?? "127.0.0.1";
  const log = opts.log;
  let ports = { ...opts.ports };
  let health = initialHealth();
  let probing: Promise<boolean> | null = null;
  const conns = new Set<Conn>();

  const ownPorts = () => new Set([ports.edge, ports.internal, ports.api]);

  async function daemonHealthy(): Promise<boolean> {
    if (isFresh(health, now())) return health.health === "healthy";
    probing ??= probeHealth(ports.api, opts.probeTimeoutMs).then((verdict) => {
      setHealth(recordProbe(verdict.healthy, now(), opts.healthyTtlMs), verdict.healthy ? "probe" : verdict.why);
      probing = null;
      return verdict.healthy;
    });
    return probing;
  }

  function setHealth(next: HealthCache, why: string): void {
    if (next.health !== health.health) log.event("edge.health.changed", { from: health.health, to: next.health, why });
    health = next;
  }

  function fail(conn: Conn, status: number, kind: ErrorKind, reason: string, where?: { host: string; port: number }): void {
    log.event("edge.error", { kind, status, reason, ...where }, status >= 500 ? "warn" : "info");
    if (conn.closed) return;
    conn.client.write(plainResponse(status, reason, "edge"));
    conn.client.end();
  }

  function accept(client: Sock): void {
    disarmAcceptTimer(client);
    client.setNoDelay(true);
    if (conns.size >= opts.maxConnections) {
      client.data = { on: idleEvents() };
      log.event("edge.error", { kind: "over-capacity", status: 503, limit: opts.maxConnections }, "warn");
      client.write(plainResponse(503, `Halton Meter's edge is at its limit of ${opts.maxConnections} connections; retry shortly`, "edge"));
      client.end();
      return;
    }
    const conn: Conn = { client, head: Buffer.alloc(0), pending: [], pendingBytes: 0, clientEnded: false, closed: false };
    conns.add(conn);
    conn.timer = setTimeout(() => fail(conn, 408, "head-timeout", `no complete request head within ${opts.headTimeoutMs} ms`), opts.headTimeoutMs);
    client.data = {
      on: {
        data: (d) => readHead(conn, d),
        drain: () => {},
        end: () => {
          conn.clientEnded = true;
          // Before a complete head (its timer still armed) there is nothing to relay: the client gave up.
          if (conn.timer !== undefined) client.end();
        },
        close: () => closed(conn),
      },
    };
  }

  function closed(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    clearTimeout(conn.timer);
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

  function readHead(conn: Conn, chunk: Buffer): void {
    // Bun hands every data callback a fresh buffer (tests/proxy/fresh-buffers.test.ts pins it): no copies here.
    conn.head = conn.head.length ? Buffer.concat([conn.head, chunk]) : chunk;
    const parsed = parseRequestHead(conn.head, MAX_HEAD_BYTES);
    if (parsed.kind === "incomplete") return;
    clearTimeout(conn.timer);
    if (parsed.kind === "invalid") return fail(conn, parsed.status, parsed.status === 431 ? "head-too-large" : "bad-request", parsed.reason);
    conn.timer = undefined;
    const early = conn.head.subarray(parsed.length);
    conn.head = conn.head.subarray(0, parsed.length);
    // Bytes that arrive before the upstream is open wait here (the client's TLS hello, a body).
    conn.client.data.on = { ...conn.client.data.on, data: (d) => hold(conn, d) };
    if (early.length) hold(conn, early);
    const decision = decide(parsed.head, { ownPorts: ownPorts(), intercepted: opts.intercepted });
    route(conn, decision).catch((err) => fail(conn, 502, "unreachable", `edge failure: ${(err as Error).message}`));
  }

  function hold(conn: Conn, d: Buffer): void {
    conn.pending.push(d);
    conn.pendingBytes += d.length;
    if (conn.pendingBytes > PENDING_CAP) conn.client.pause();
  }

  async function route(conn: Conn, decision: EdgeDecision): Promise<void> {
    if (decision.kind === "reject") return fail(conn, decision.status, decision.status === 403 ? "loop" : "bad-request", decision.reason);
    const { host, port } = decision.target;
    if (decision.kind === "connect" && decision.intercept && (await daemonHealthy())) {
      const deadline = now() + opts.chainTimeoutMs;
      const daemon = await open(conn, "127.0.0.1", ports.internal, bunConnect, opts.chainTimeoutMs);
      const verdict: ChainVerdict = daemon.ok ? await chain(conn, daemon.socket, Math.max(1, deadline - now())) : daemon.code === "timeout" ? "silent" : "refused";
      if (verdict === "answered") return void log.event("edge.chained", { host, port, client_port: conn.client.remotePort });
      if (conn.closed) return;
      // The cached "healthy" lied: forget it, and this very request goes through raw.
      setHealth(invalidate(now()), `chain ${verdict}${daemon.ok ? "" : ` (${daemon.code})`}`);
      log.event("edge.passthrough", { host, port, reason: `daemon-${verdict}`, ...(verdict === "silent" ? { ms: opts.chainTimeoutMs } : {}) });
    } else if (decision.kind === "connect") {
      log.event("edge.passthrough", { host, port, reason: decision.intercept ? "daemon-unhealthy" : "not-metered" });
    }
    const to = resolveAddress(opts.resolve ?? {}, host, port);
    const target = await open(conn, to.hostname, to.port);
    if (!target.ok) {
      const failure = describeConnectFailure(target.code, host, port, target.message);
      return fail(conn, 502, failure.kind, failure.reason, { host, port });
    }
    if (decision.kind === "connect") relay(conn, target, [], [CONNECTION_ESTABLISHED]);
    else relay(conn, target, [decision.head], []);
  }

  const open = (conn: Conn, host: string, port: number, via = connect, timeoutMs = opts.connectTimeoutMs) =>
    openConnection(via, host, port, timeoutMs, () => conn.closed);

  /**
   * Hands the connection to the daemon: the PROXY line, the head and what the client sent so
   * far. Until the daemon's first byte comes back, every client byte is kept, so that a daemon
   * that dies, hangs or stays silent before answering costs nothing: the same bytes are
   * replayed into a raw tunnel.
   */
  function chain(conn: Conn, daemon: Sock, timeoutMs: number): Promise<ChainVerdict> {
    const c = conn.client;
    const line = proxyLineFor(c.remoteAddress, c.remotePort, c.localAddress ?? hostname, c.localPort);
    const replayCount = conn.pending.length;
    const out = new Outbox((d) => daemon.write(d));
    return new Promise((resolve) => {
      let settled = false;
      const settle = (verdict: ChainVerdict, first?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (verdict !== "answered" || conn.closed) {
          daemon.data.on = idleEvents();
          daemon.terminate();
          return resolve(verdict);
        }
        conn.upstream = daemon;
        const sp = splice(c, daemon, () => closed(conn));
        for (const b of out.take()) sp.up.push(b);
        for (const b of conn.pending.slice(replayCount)) sp.up.push(b);
        conn.pending = [];
        conn.pendingBytes = 0;
        if (first) sp.down.push(first);
        if (conn.clientEnded) sp.up.endOfInput();
        // A backed-up pipe paused the client itself and resumes it on drain.
        if (sp.up.pending === 0) c.resume();
        resolve("answered");
      };
      const timer = setTimeout(() => settle("silent"), timeoutMs);
      daemon.data.on = { data: (d) => settle("answered", Buffer.from(d)), drain: () => out.flush(), end: () => settle("closed"), close: () => settle("closed") };
      // One write: the daemon reads the PROXY line, the head and the client's hello in one go.
      out.send(Buffer.concat([Buffer.from(line), conn.head, ...conn.pending]));
    });
  }

  function relay(conn: Conn, opened: { socket: Sock; early: Buffer[] }, toUpstream: Array<string | Uint8Array>, toClient: string[]): void {
    const upstream = opened.socket;
    if (conn.closed) return void upstream.terminate();
    conn.upstream = upstream;
    const sp = splice(conn.client, upstream, () => closed(conn));
    for (const s of toClient) sp.down.push(Buffer.from(s));
    for (const b of opened.early) sp.down.push(b);
    // Heads are latin1 strings (one char per byte): encoding them as UTF-8 would change bytes >= 0x80.
    for (const b of toUpstream) sp.up.push(typeof b === "string" ? Buffer.from(b, "latin1") : b);
    for (const b of conn.pending) sp.up.push(b);
    conn.pending = [];
    conn.pendingBytes = 0;
    if (conn.clientEnded) sp.up.endOfInput();
    if (sp.up.pending === 0) conn.client.resume();
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
      return health;
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
      health = initialHealth();
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

export type { Connector } from "../proxy/connect.ts";
