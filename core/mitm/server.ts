// The daemon's internal port: a CONNECT proxy (reached from the edge with a PROXY line naming
// the client, or from a client directly). Metered hosts get our leaf and the HTTP/1.1 session;
// every other host, and any host a client refused our certificate for, is tunnelled raw.

import type { Socket, TCPSocketListener } from "bun";
import type { Lookup } from "../attribution/lookup.ts";
import type { EventLog } from "../log/jsonl.ts";
import type { Dialer } from "../proxy/dialer.ts";
import { type ConnectionGuard, connectionGuard } from "../proxy/guard.ts";
import { HeldInput } from "../proxy/held.ts";
import { CONNECTION_ESTABLISHED, plainResponse } from "../proxy/response.ts";
import { disarmAcceptTimer, forwardingHandlers, idleEvents, type Sock, type SocketState, splice } from "../proxy/sockets.ts";
import { bypasses, type ClientTlsFailure } from "../tls/client-failure.ts";
import { TLS_FAILED_EVENT, tlsFailedFields } from "../tls/failure.ts";
import type { LeafIssuer } from "../tls/leaf.ts";
import { ALPN_HTTP1_ONLY, sniHandler, upgradeToServerTls } from "../tls/sni.ts";
import { BYPASS_MS, type Bypass, Bypasses } from "./bypass.ts";
import { ClientHandshake } from "./client-handshake.ts";
import { type ClientInfo, type ConnectCommand, ConnectMachine, type ConnectRoute } from "./connect.ts";
import { MitmSession, type SessionDeps } from "./session.ts";
import type { UpstreamPool } from "./upstream.ts";

export interface MitmServerOptions {
  port: number;
  hostname?: string;
  intercepted: ReadonlySet<string>;
  ownPorts: () => ReadonlySet<number>;
  issuer: LeafIssuer;
  pool: UpstreamPool;
  log: EventLog;
  now?: () => number;
  /** `[daemon] head_timeout_ms`: for the CONNECT head, the TLS handshake and the first request head, each. */
  headTimeoutMs: number;
  /** `[daemon] idle_timeout_ms`: a decrypted keep-alive connection idle between requests. */
  idleTimeoutMs: number;
  /** `[daemon] max_connections`: beyond it a direct client gets a 503 and the edge tunnels raw. */
  maxConnections: number;
  /** Raw tunnels leave through it, as the pool's connections do (`[upstream] resolve` and proxy). */
  dialer: Dialer;
  /** Starts finding the calling process and its project (off this loop, with a deadline). */
  identify(client: ClientInfo): Lookup;
  /** True where the calling process can be found (Linux /proc); elsewhere bypasses are keyed by address. */
  pidsKnown?: boolean;
  session(client: ClientInfo, who: Lookup): Pick<SessionDeps, "observe" | "hooks" | "bodyMaxBytes" | "ready">;
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

const HINTS = "a client that rejects Halton Meter's certificate needs NODE_EXTRA_CA_CERTS (Node, Claude Code, Gemini CLI), SSL_CERT_FILE / REQUESTS_CA_BUNDLE (Python) or CURL_CA_BUNDLE (curl): `halton-meter setup` prints them";

export function startMitmServer(opts: MitmServerOptions): MitmServer {
  const now = opts.now ?? Date.now;
  const bypass = new Bypasses(now);
  const open = new Set<Sock>();
  const sessions = new Set<MitmSession>();
  let draining = false;

  const connections = () => {
    for (const s of sessions) if (s.isClosed) sessions.delete(s);
    return open.size + sessions.size;
  };

  function accept(raw: Sock): void {
    disarmAcceptTimer(raw);
    raw.setNoDelay(true);
    const overLimit = connections() >= opts.maxConnections;
    if (!overLimit) open.add(raw);
    const machine = new ConnectMachine({
      overLimit: overLimit ? opts.maxConnections : null,
      ownPorts: opts.ownPorts,
      decrypts: (host) => opts.intercepted.has(host) && opts.issuer.permits(host),
      headTimeoutMs: opts.headTimeoutMs,
      socket: { address: raw.remoteAddress, port: raw.remotePort, localPort: raw.localPort },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Timers and promise answers (socket callbacks have sockets.ts's guard): a bug ends this connection alone.
    const guard = connectionGuard(() => {
      open.delete(raw);
      raw.terminate();
    });
    const run = (commands: ConnectCommand[]) => {
      for (const c of commands) {
        if (c.do === "set-timer") timer = setTimeout(() => guard.run("connect-timer", () => run(machine.handle({ kind: "timer" }))), c.ms);
        else if (c.do === "clear-timer") clearTimeout(timer);
        else if (c.do === "log") opts.log.event(c.event, c.fields, c.level);
        else if (c.do === "drop") raw.terminate();
        else if (c.do === "refuse") {
          raw.data.on = { ...idleEvents(), close: () => open.delete(raw) };
          raw.end(plainResponse(c.status, c.reason, "daemon"));
        } else route(raw, guard, c.route);
      }
    };
    raw.data = {
      on: {
        ...idleEvents(),
        // Bun hands every data callback a fresh buffer (tests/proxy/fresh-buffers.test.ts pins it): no copy.
        data: (d) => run(machine.handle({ kind: "data", bytes: d })),
        close: () => {
          clearTimeout(timer);
          open.delete(raw);
        },
      },
    };
    run(machine.start());
  }

  function route(raw: Sock, guard: ConnectionGuard, r: ConnectRoute): void {
    const { host, port } = r.target;
    // From here the client's bytes (its ClientHello, if it did not wait for our 200) and its FIN
    // are held for whichever relay takes the connection.
    const held = new HeldInput(() => raw.pause());
    if (r.kind === "tunnel") held.push(r.held);
    raw.data.on = { ...raw.data.on, data: (d) => held.push(d), end: () => void (held.ended = true) };
    const client = r.client;
    if (r.kind === "tunnel") {
      // The edge waits only briefly for our first byte: a tunnel it chained is answered before the dial.
      if (client.viaEdge) raw.write(CONNECTION_ESTABLISHED);
      return tunnel(raw, guard, host, port, held, client.viaEdge);
    }
    const who = opts.identify(client);
    if (bypass.empty) return intercept(raw, host, port, client, who, false);
    // A bypass is decided by the calling process, which may take a moment to find: answer now
    // (the edge waits only briefly for our first byte) and leave the ClientHello in the
    // socket, unread, until then.
    raw.write(CONNECTION_ESTABLISHED);
    raw.pause();
    guard.after("bypass-lookup", who.pid, (pid) => {
      if (!open.has(raw)) return;
      if (bypass.has(Bypasses.processOf(pid, client), host)) tunnel(raw, guard, host, port, held, true);
      else intercept(raw, host, port, client, who, true);
      raw.resume();
    });
  }

  /** `answered`: the 200 to the CONNECT is already out. */
  function intercept(raw: Sock, host: string, port: number, client: ClientInfo, who: Lookup, answered: boolean): void {
    if (!answered) raw.write(CONNECTION_ESTABLISHED);
    const handshake = new ClientHandshake({ now, timeoutMs: opts.headTimeoutMs });
    raw.data.on = {
      ...idleEvents(),
      data: (d) => handshake.see(d),
      close: (err) => {
        open.delete(raw);
        handshake.closedBy(err);
      },
    };
    const failed = (how: "closed" | "timeout") => {
      clearTimeout(timer);
      const failure = handshake.failed(how);
      if (failure) tlsFailed(failure, host, client, who);
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
        serverName: sniHandler(opts.issuer, (name, e) => handshake.sniRefused(name, e)),
        // Bun reports an irrelevant client-certificate error on the server side: only `ok` counts.
        handshake: (s, ok, err) => {
          if (!ok) return handshake.handshakeError(err);
          clearTimeout(timer);
          if (!handshake.established()) return;
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
          handshake.closedBy(err);
          failed("closed");
          // After the handshake the session owns the socket: it must hear the close, or an
          // exchange the client walked away from never ends (no row, its upstream held).
          forwardingHandlers.close?.(s, err);
        },
      },
    });
  }

  /** Logged with its reason; a client that refused our certificate is tunnelled raw for a while (bypass.ts). */
  function tlsFailed(failure: ClientTlsFailure, host: string, client: ClientInfo, who: Lookup): void {
    const bypassing = bypasses(failure);
    const fields = { host, client_port: client.port, ...tlsFailedFields({ side: "client", failure }), ...(failure.kind === "sni-refused" ? { sni: failure.name } : {}) };
    opts.log.event(TLS_FAILED_EVENT, { ...fields, ...(bypassing ? { hint: HINTS, bypass_minutes: BYPASS_MS / 60000 } : {}) }, bypassing || failure.kind === "sni-refused" ? "warn" : "info");
    if (!bypassing) return;
    void who.pid.then((pid) => {
      // Where /proc names processes, an unknown one (its lookup ran out of time) is not keyed by
      // its address: that would send every other unknown client around the meter with it.
      if (pid === null && opts.pidsKnown) return void opts.log.event("intercept.bypass_skipped", { host, client_port: client.port, reason: "the calling process is unknown" });
      bypass.add(Bypasses.processOf(pid, client), host, failure.kind);
    });
  }

  /**
   * A raw tunnel. `held` hands over what the client sent meanwhile (and its FIN), at the moment
   * the relay takes over. With the 200 already `answered`, a target that cannot be reached is a close.
   */
  function tunnel(raw: Sock, guard: ConnectionGuard, host: string, port: number, held: HeldInput, answered: boolean): void {
    const dial = opts.dialer.tcp(host, port, { abandoned: () => !open.has(raw) });
    guard.after("tunnel-dial", dial, (up) => {
      if (!up.ok) {
        if (!answered) return void raw.end(plainResponse(502, up.reason, "daemon"));
        opts.log.event("daemon.error", { kind: "tunnel-failed", host, port, reason: up.reason }, "warn");
        return void raw.end();
      }
      const sp = splice(raw, up.socket, () => open.delete(raw));
      if (!answered) sp.down.push(Buffer.from(CONNECTION_ESTABLISHED));
      for (const b of up.early) sp.down.push(b);
      held.handTo(sp.up);
      raw.resume();
    }, (up) => up.ok && up.socket.terminate());
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
      return bypass.list();
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
