// How both processes reach the outside: one dialer owns `[upstream] resolve`, the upstream
// proxy, upstream TLS and the classification of a failed dial. The edge's shell gives it one for
// passthrough; the daemon's gives it one for its tunnels and for the pool's TLS connections.
// Environment proxies are never consulted: the meter must not send its own traffic back to itself.

import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { describeTlsFailure, type UpstreamTlsFailure } from "../tls/failure.ts";
import { ALPN_HTTP1_ONLY } from "../tls/sni.ts";
import { bunConnect, type Connector, errorCode, httpProxyConnector, openConnection } from "./connect.ts";
import { resolveAddress } from "./resolve.ts";
import { forwardingHandlers, idleEvents, type SocketEvents, type SocketState, type Sock } from "./sockets.ts";

export interface DialerSettings {
  /** `[upstream] resolve`: where to connect for a host (direct dials only; a proxy resolves names itself). */
  resolve?: Readonly<Record<string, string>>;
  /** `[upstream] proxy`: an http:// proxy every outside dial goes through; empty for none. */
  proxy?: string;
  connectTimeoutMs: number;
  /** `[upstream] ca_file`: trusted for upstream TLS besides the real roots. Read now, so a bad path fails at start-up. */
  caFile?: string;
  /** The TCP layer under it all (tests give one that fails on cue). */
  connector?: Connector;
}

export type DialFailureKind = "dns" | "refused" | "timeout" | "unreachable" | "proxy" | "tls-verify" | "tls" | "client-gone";

/** A failed dial, classified, with the sentence a person reads (a 502's body, a log line). */
export interface DialFailure {
  ok: false;
  kind: DialFailureKind;
  reason: string;
  /** For `tls-verify` and `tls`: the failure as the TLS union has it (logged as `intercept.tls_failed`). */
  tls?: UpstreamTlsFailure;
}

/** `early`: bytes the far side sent before anyone read them (a banner), kept for the relay. */
export type Dialed = { ok: true; socket: Sock; early: Buffer[] } | DialFailure;

/** `abandoned()` is asked once the socket is open: true means nobody wants it any more. */
export interface DialOptions {
  timeoutMs?: number;
  abandoned?: () => boolean;
}

export class Dialer {
  private readonly resolve: Readonly<Record<string, string>>;
  private readonly direct: Connector;
  private readonly outside: Connector;
  private readonly extraCa: string | null;
  private caList: string[] | undefined;

  constructor(private readonly settings: DialerSettings) {
    this.resolve = settings.resolve ?? {};
    this.direct = settings.connector ?? bunConnect;
    this.outside = settings.proxy ? httpProxyConnector(settings.proxy, this.direct) : this.direct;
    this.extraCa = settings.caFile ? readFileSync(settings.caFile, "utf8") : null;
  }

  /** A raw TCP connection to host:port, for a tunnel: through the upstream proxy, else to the resolved address. */
  async tcp(host: string, port: number, opts: DialOptions = {}): Promise<Dialed> {
    const to = this.settings.proxy ? { hostname: host, port } : resolveAddress(this.resolve, host, port);
    const opened = await openConnection(this.outside, to.hostname, to.port, opts.timeoutMs ?? this.settings.connectTimeoutMs, opts.abandoned);
    return opened.ok ? opened : classify(opened.code, host, port, opened.message);
  }

  /** One of our own ports on loopback: never through the proxy or the resolve table. */
  async local(port: number, opts: DialOptions = {}): Promise<Dialed> {
    const opened = await openConnection(this.direct, "127.0.0.1", port, opts.timeoutMs ?? this.settings.connectTimeoutMs, opts.abandoned);
    return opened.ok ? opened : classify(opened.code, "127.0.0.1", port, opened.message);
  }

  /**
   * A verified TLS connection (HTTP/1.1 by ALPN) to host:port, the TCP part as `tcp` dials it,
   * within one connect timeout. `events` become the TLS socket's once the handshake succeeded.
   */
  tls(host: string, port: number, events: SocketEvents): Promise<{ ok: true; socket: Sock } | DialFailure> {
    return new Promise((resolve) => {
      let settled = false;
      let socket: Sock | undefined;
      const settle = (r: { ok: true; socket: Sock } | DialFailure) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!r.ok) socket?.terminate();
        else socket!.data.on = events;
        resolve(r);
      };
      const timer = setTimeout(() => settle(classify("timeout", host, port)), this.settings.connectTimeoutMs);
      const state: SocketState = {
        on: {
          ...idleEvents(),
          handshake: (ok, err) => settle(ok && !err ? { ok: true, socket: socket! } : handshakeFailure(host, port, err)),
          close: (e) => settle(tlsFailure({ kind: "closed", host, port, error: e?.message ?? null })),
          connectError: (e) => settle(classify(errorCode(e), host, port)),
        },
      };
      const opened = (s: Sock) => {
        socket = s;
        if (settled) s.terminate();
      };
      const tls = { serverName: host, rejectUnauthorized: true, ALPNProtocols: ALPN_HTTP1_ONLY, ...(this.ca ? { ca: this.ca } : {}) };
      if (!this.settings.proxy) {
        const to = resolveAddress(this.resolve, host, port);
        Bun.connect<SocketState>({ ...to, tls, socket: forwardingHandlers, data: state, allowHalfOpen: true }).then((s) => {
          s.setNoDelay(true);
          opened(s);
        }, (e) => settle(classify(errorCode(e), host, port)));
        return;
      }
      // Through the corporate proxy: its CONNECT first, then TLS to the provider inside the tunnel.
      this.tcp(host, port, { abandoned: () => settled }).then((raw) => {
        if (!raw.ok) return settle(raw);
        raw.socket.data.on = idleEvents(); // the ciphertext of the upgraded socket: not ours to read
        opened(raw.socket.upgradeTLS<SocketState>({ tls, socket: forwardingHandlers, data: state })[1]);
      });
    });
  }

  /**
   * With an extra CA the real roots stay trusted too (`ca` replaces the defaults otherwise).
   * Built on first use: Bun's bundled roots take ~65 ms to load, which start-up should not wait for.
   */
  private get ca(): string[] | undefined {
    if (this.extraCa === null) return undefined;
    return (this.caList ??= [...rootCertificates, this.extraCa]);
  }
}

/** Bun reports a server that hangs up mid-handshake as a failed handshake with ECONNRESET: that is no verdict on its certificate. */
function handshakeFailure(host: string, port: number, err: Error | null): DialFailure {
  const error = err?.message ?? "handshake failed";
  return tlsFailure(err && errorCode(err) === "ECONNRESET" ? { kind: "closed", host, port, error } : { kind: "cert-invalid", host, error });
}

function tlsFailure(tls: UpstreamTlsFailure): DialFailure {
  return { ok: false, kind: tls.kind === "closed" ? "tls" : "tls-verify", reason: describeTlsFailure({ side: "upstream", failure: tls }), tls };
}

/** A failed TCP dial (an errno code, `timeout`, or `EPROXY` with the proxy's own words). */
export function classify(code: string, host: string, port: number, message?: string): DialFailure {
  if (code === "EPROXY") return { ok: false, kind: "proxy", reason: `${message ?? "upstream proxy refused"} (for ${host}:${port})` };
  if (code === "client-gone") return { ok: false, kind: "client-gone", reason: `the client left before ${host}:${port} answered` };
  const kind = code === "timeout" ? "timeout" : code === "ENOTFOUND" || code.startsWith("EAI") ? "dns" : code === "ECONNREFUSED" ? "refused" : "unreachable";
  const why = { dns: "cannot resolve host", refused: "connection refused by", timeout: "timed out connecting to", unreachable: "cannot reach" }[kind];
  return { ok: false, kind, reason: `${why} ${host}:${port} (${code})` };
}
