// The daemon's internal port: a CONNECT proxy (reached from the edge with a PROXY line naming
// the client, or from a client directly). Metered hosts get our leaf and the HTTP/1.1 session;
// every other host, and any host a client refused our certificate for, is tunnelled raw.

import type { Socket, TCPSocketListener } from "bun";
import type { EventLog } from "../log/jsonl.ts";
import { headerValue } from "../http/headers.ts";
import { MAX_HEAD_BYTES, parseRequestHead } from "../proxy/head.ts";
import { bunConnect, describeConnectFailure, httpProxyConnector, openConnection } from "../proxy/connect.ts";
import { parseProxyLine } from "../proxy/proxy-protocol.ts";
import { CONNECTION_ESTABLISHED, plainResponse } from "../proxy/response.ts";
import { disarmAcceptTimer, forwardingHandlers, idleEvents, type SocketState, type Sock, splice } from "../proxy/sockets.ts";
import { isLoopbackHost, parseAuthority } from "../proxy/target.ts";
import type { Lookup } from "../attribution/lookup.ts";
import { bypasses, type ClientTlsFailure, classifyClientTlsFailure, describeClientTlsFailure, type HandshakeEnd, newWatch, watchBytes } from "../tls/client-failure.ts";
import type { LeafIssuer } from "../tls/leaf.ts";
import { ALPN_HTTP1_ONLY, sniHandler, upgradeToServerTls } from "../tls/sni.ts";
import { MitmSession, type SessionDeps } from "./session.ts";
import { resolveAddress, type UpstreamPool } from "./upstream.ts";

/** Who is on the other end of a connection, as far as we can tell. */
export interface ClientInfo {
  address: string;
  port: number;
  /** The port the client connected to (the edge's, or ours when it came directly). */
  serverPort: number;
  viaEdge: boolean;
  /** The project named in proxy credentials (`halton-meter run --project X`). */
  proxyProject: string | null;
}

/** `Proxy-Authorization: Basic base64(project:)`: the user part names the project. */
export function projectFromProxyAuth(value: string | null | undefined): string | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(value?.trim() ?? "");
  if (!m) return null;
  const user = decodeURIComponent(Buffer.from(m[1]!, "base64").toString("utf8").split(":")[0] ?? "");
  return /^[\w.@+-]{1,100}$/.test(user) ? user : null;
}

export interface MitmServerOptions {
  port: number;
  hostname?: string;
  intercepted: ReadonlySet<string>;
  ownPorts: () => ReadonlySet<number>;
  issuer: LeafIssuer;
  pool: UpstreamPool;
  log: EventLog;
  now?: () => number;
  connectTimeoutMs: number;
  /** `[daemon] head_timeout_ms`: for the CONNECT head, the TLS handshake and the first request head, each. */
  headTimeoutMs: number;
  /** `[daemon] idle_timeout_ms`: a decrypted keep-alive connection idle between requests. */
  idleTimeoutMs: number;
  /** `[daemon] max_connections`: beyond it a direct client gets a 503 and the edge tunnels raw. */
  maxConnections: number;
  /** `[upstream] resolve`, applied to raw tunnels as to intercepted hosts. */
  resolve: Record<string, string>;
  /** `[upstream] proxy`: raw tunnels leave through it too, like intercepted exchanges. */
  upstreamProxy?: string;
  /** Starts finding the calling process and its project (off this loop, with a deadline). */
  identify(client: ClientInfo): Lookup;
  /** True where the calling process can be found (Linux /proc); elsewhere bypasses are keyed by address. */
  pidsKnown?: boolean;
  session(client: ClientInfo, who: Lookup): Pick<SessionDeps, "observe" | "hooks" | "bodyMaxBytes" | "ready">;
}

/** A client process sent around the meter for one host, because it refused our certificate. */
export interface Bypass {
  /** The process (its pid where /proc could tell, else its address) and the host. */
  process: string;
  host: string;
  until: number;
  reason: ClientTlsFailure["kind"];
}

export interface MitmServer {
  readonly port: number;
  /** Connections still carrying an exchange or a tunnel. */
  readonly active: number;
  /** Stops accepting and ends idle keep-alive connections; busy ones end after their exchange. */
  stopAccepting(): void;
  closeAll(): void;
  /** Processes and hosts tunnelled raw because they refused our certificate (until a restart or expiry). */
  bypasses(): Bypass[];
}

const BYPASS_MS = 60 * 60 * 1000;
/** What the client may send before its relay is wired; beyond it the client is paused. */
const HELD_CAP = 1024 * 1024;

/** Client bytes and FIN that arrived after the CONNECT head, before a relay took the connection. */
interface Held {
  chunks: Uint8Array[];
  bytes: number;
  ended: boolean;
}

const HINTS = "a client that rejects Halton Meter's certificate needs NODE_EXTRA_CA_CERTS (Node, Claude Code, Gemini CLI), SSL_CERT_FILE / REQUESTS_CA_BUNDLE (Python) or CURL_CA_BUNDLE (curl): `halton-meter setup` prints them";

export function startMitmServer(opts: MitmServerOptions): MitmServer {
  const now = opts.now ?? Date.now;
  const bypass = new Map<string, Bypass>();
  const open = new Set<Sock>();
  const sessions = new Set<MitmSession>();
  let draining = false;
  const connector = opts.upstreamProxy ? httpProxyConnector(opts.upstreamProxy) : bunConnect;

  const processOf = (pid: number | null, client: ClientInfo) => (pid !== null ? `pid ${pid}` : client.address);
  const bypassed = (key: string) => {
    const b = bypass.get(key);
    if (b === undefined) return false;
    if (b.until > now()) return true;
    bypass.delete(key);
    return false;
  };

  const connections = () => {
    for (const s of sessions) if (s.isClosed) sessions.delete(s);
    return open.size + sessions.size;
  };

  function accept(raw: Sock): void {
    disarmAcceptTimer(raw);
    raw.setNoDelay(true);
    if (connections() >= opts.maxConnections) return refuse(raw);
    open.add(raw);
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      opts.log.event("daemon.error", { kind: "head-timeout", status: 408, ms: opts.headTimeoutMs, bytes: buf.length });
      answer(408, `no complete CONNECT head within ${opts.headTimeoutMs} ms`);
    }, opts.headTimeoutMs);
    raw.data = {
      on: {
        ...idleEvents(),
        data: (d) => {
          buf = buf.length ? Buffer.concat([buf, d]) : Buffer.from(d);
          handshake();
        },
        close: () => {
          clearTimeout(timer);
          open.delete(raw);
        },
      },
    };
    const answer = (status: number, reason: string) => {
      clearTimeout(timer);
      raw.data.on = { ...idleEvents(), close: () => open.delete(raw) };
      raw.end(plainResponse(status, reason, "daemon"));
    };
    const handshake = () => {
      const pl = parseProxyLine(buf);
      if (pl.kind === "incomplete") return;
      if (pl.kind === "invalid") return answer(400, pl.reason);
      const skip = pl.kind === "ok" ? pl.length : 0;
      const head = parseRequestHead(buf.subarray(skip), MAX_HEAD_BYTES);
      if (head.kind === "incomplete") return;
      clearTimeout(timer);
      if (head.kind === "invalid") return answer(head.status, head.reason);
      if (head.head.method !== "CONNECT") return answer(400, "this is Halton Meter's daemon port: send CONNECT host:port");
      const t = parseAuthority(head.head.target);
      if (!t.ok) return answer(400, `bad CONNECT target: ${t.reason}`);
      const { host, port } = t.target;
      if (isLoopbackHost(host) && opts.ownPorts().has(port)) return answer(403, `refusing to proxy to ${host}:${port}: that is Halton Meter itself`);
      const via = pl.kind === "ok" ? pl.address : null;
      const proxyProject = projectFromProxyAuth(headerValue(head.head.headers, "proxy-authorization"));
      const client: ClientInfo = via
        ? { address: via.sourceAddress, port: via.sourcePort, serverPort: via.destPort, viaEdge: true, proxyProject }
        : { address: raw.remoteAddress, port: raw.remotePort, serverPort: raw.localPort, viaEdge: false, proxyProject };
      // From here the client's bytes (its ClientHello, if it did not wait for our 200) and its FIN
      // are held for whichever relay takes the connection; past HELD_CAP the client is paused.
      const held: Held = { chunks: [buf.subarray(skip + head.length)], bytes: buf.length - skip - head.length, ended: false };
      buf = Buffer.alloc(0);
      raw.data.on = {
        ...raw.data.on,
        data: (d) => {
          held.chunks.push(d);
          if ((held.bytes += d.length) > HELD_CAP) raw.pause();
        },
        end: () => void (held.ended = true),
      };
      // The edge waits only briefly for our first byte: a tunnel it chained is answered before the dial.
      const tunnelFor = () => {
        if (client.viaEdge) raw.write(CONNECTION_ESTABLISHED);
        tunnel(raw, host, port, held, client.viaEdge);
      };
      if (!opts.intercepted.has(host) || !opts.issuer.permits(host)) return tunnelFor();
      // Our TLS layer reads the ClientHello from the socket itself; one we already read (sent
      // with the CONNECT, before our 200) cannot be handed to it: that connection goes raw.
      if (held.bytes > 0) {
        opts.log.event("intercept.pipelined_hello", { host, bytes: held.bytes, client_port: client.port });
        return tunnelFor();
      }
      const who = opts.identify(client);
      if (bypass.size === 0) return intercept(raw, host, port, client, who, false);
      // A bypass is decided by the calling process, which may take a moment to find: answer now
      // (the edge waits only briefly for our first byte) and leave the ClientHello in the
      // socket, unread, until then.
      raw.write(CONNECTION_ESTABLISHED);
      raw.pause();
      who.pid.then((pid) => {
        if (!open.has(raw)) return;
        if (bypassed(`${processOf(pid, client)} ${host}`)) tunnel(raw, host, port, held, true);
        else intercept(raw, host, port, client, who, true);
        raw.resume();
      });
    };
  }

  /**
   * Over the limit. The edge (its PROXY line comes first) gets a close without an answer, which
   * it takes as "daemon unavailable" and tunnels that request raw: the tool never sees the limit.
   * A client that came directly gets a 503, or, saying nothing, a close after the head timeout.
   */
  function refuse(raw: Sock): void {
    const reason = `Halton Meter's daemon is at its limit of ${opts.maxConnections} connections; retry shortly`;
    const timer = setTimeout(() => raw.end(plainResponse(503, reason, "daemon")), opts.headTimeoutMs);
    raw.data = {
      on: {
        ...idleEvents(),
        data: (d) => {
          raw.data.on = idleEvents();
          clearTimeout(timer);
          const viaEdge = Buffer.from(d).subarray(0, 6).toString("latin1") === "PROXY ";
          opts.log.event("daemon.error", { kind: "over-capacity", status: viaEdge ? null : 503, limit: opts.maxConnections, via_edge: viaEdge }, "warn");
          if (viaEdge) raw.terminate();
          else raw.end(plainResponse(503, reason, "daemon"));
        },
        close: () => clearTimeout(timer),
      },
    };
  }

  /** `answered`: the 200 to the CONNECT is already out. */
  function intercept(raw: Sock, host: string, port: number, client: ClientInfo, who: Lookup, answered: boolean): void {
    if (!answered) raw.write(CONNECTION_ESTABLISHED);
    // From here the raw socket's data handler sees the client's TLS records: they are read only
    // to tell, if the handshake fails, whether the client refused our certificate.
    let watch = newWatch();
    let helloAt: number | null = null;
    let reset = false;
    let errorText: string | null = null;
    let established = false;
    const see = (d: Uint8Array) => {
      if (established) return;
      watch = watchBytes(watch, d);
      if (watch.helloComplete) helloAt ??= now();
    };
    raw.data.on = {
      ...idleEvents(),
      data: see,
      close: (err) => {
        open.delete(raw);
        if ((err as NodeJS.ErrnoException | undefined)?.code === "ECONNRESET") reset = true;
      },
    };
    const failed = (how: HandshakeEnd["how"]) => {
      clearTimeout(timer);
      if (established) return;
      established = true;
      const failure = classifyClientTlsFailure(watch, { how, errorText, msSinceHello: helloAt === null ? null : now() - helloAt, timeoutMs: opts.headTimeoutMs });
      const bypassing = bypasses(failure);
      opts.log.event(
        "intercept.tls_failed",
        {
          host,
          client_port: client.port,
          kind: failure.kind,
          reason: describeClientTlsFailure(failure),
          ...(bypassing ? { hint: HINTS, bypass_minutes: BYPASS_MS / 60000 } : {}),
        },
        bypassing ? "warn" : "info",
      );
      if (!bypassing) return;
      void who.pid.then((pid) => {
        // Where /proc names processes, an unknown one (its lookup ran out of time) is not keyed by
        // its address: that would send every other unknown client around the meter with it.
        if (pid === null && opts.pidsKnown) return void opts.log.event("intercept.bypass_skipped", { host, client_port: client.port, reason: "the calling process is unknown" });
        const proc = processOf(pid, client);
        bypass.set(`${proc} ${host}`, { process: proc, host, until: now() + BYPASS_MS, reason: failure.kind });
      });
    };
    // A client that never finishes the handshake (no ClientHello at all, or a stalled one) is
    // dropped after the head timeout, and not bypassed: it did not say it distrusts our CA.
    const timer = setTimeout(() => {
      failed("timeout");
      open.delete(raw);
      tls.terminate();
      raw.terminate();
    }, opts.headTimeoutMs);
    const state: SocketState = { on: idleEvents() };
    const [, tls] = upgradeToServerTls<SocketState>(raw, {
      data: state,
      tls: { ALPNProtocols: ALPN_HTTP1_ONLY },
      socket: {
        ...forwardingHandlers,
        serverName: sniHandler(opts.issuer, (name, e) => opts.log.event("intercept.tls_refused", { host: name, reason: e.message }, "warn")),
        // Bun reports an irrelevant client-certificate error on the server side: only `ok` counts.
        handshake: (s, ok, err) => {
          if (!ok) {
            errorText = err?.message ?? null;
            return;
          }
          clearTimeout(timer);
          if (established) return;
          established = true;
          open.delete(raw);
          const session = new MitmSession(s, {
            host,
            port,
            pool: opts.pool,
            log: opts.log,
            now,
            ...opts.session(client, who),
            headTimeoutMs: opts.headTimeoutMs,
            idleTimeoutMs: opts.idleTimeoutMs,
          });
          sessions.add(session);
          if (draining) session.drain();
        },
        close: (s, err) => {
          open.delete(raw);
          // A reset arrives as a close carrying ECONNRESET (a FIN mid-handshake, as a handshake error).
          if ((err as NodeJS.ErrnoException | undefined)?.code === "ECONNRESET") reset = true;
          failed(reset ? "reset" : "closed");
          // After the handshake the session owns the socket: it must hear the close, or an
          // exchange the client walked away from never ends (no row, its upstream held).
          forwardingHandlers.close?.(s, err);
        },
      },
    });
  }

  /**
   * A raw tunnel. `held` hands over what the client sent meanwhile (and its FIN), at the moment
   * the relay takes over. With the 200 already `answered`, a target that cannot be reached is a close.
   */
  function tunnel(raw: Sock, host: string, port: number, held: Held, answered: boolean): void {
    // Through a corporate proxy the proxy resolves names; `[upstream] resolve` applies to direct dials.
    const addr = opts.upstreamProxy ? { hostname: host, port } : resolveAddress(opts.resolve, host, port);
    openConnection(connector, addr.hostname, addr.port, opts.connectTimeoutMs, () => !open.has(raw)).then((up) => {
      if (!up.ok) {
        const reason = describeConnectFailure(up.code, host, port, up.message).reason;
        if (!answered) return void raw.end(plainResponse(502, reason, "daemon"));
        opts.log.event("daemon.error", { kind: "tunnel-failed", host, port, reason }, "warn");
        return void raw.end();
      }
      const sp = splice(raw, up.socket, () => open.delete(raw));
      if (!answered) sp.down.push(Buffer.from(CONNECTION_ESTABLISHED));
      for (const b of up.early) sp.down.push(b);
      for (const b of held.chunks.splice(0)) sp.up.push(b);
      if (held.ended) sp.up.endOfInput();
      raw.resume();
    });
  }

  const listener: TCPSocketListener<SocketState> = Bun.listen<SocketState>({
    hostname: opts.hostname ?? "127.0.0.1",
    port: opts.port,
    allowHalfOpen: true,
    socket: { ...forwardingHandlers, open: (s: Socket<SocketState>) => accept(s) },
  });

  return {
    get port() {
      return listener.port;
    },
    get active() {
      return connections();
    },
    stopAccepting() {
      draining = true;
      listener.stop(false);
      for (const s of sessions) s.drain();
    },
    bypasses() {
      return [...bypass.keys()].filter(bypassed).map((k) => bypass.get(k)!);
    },
    closeAll() {
      for (const s of open) {
        try {
          s.terminate();
        } catch {}
      }
      open.clear();
      sessions.clear();
      listener.stop(true);
    },
  };
}
