// How both processes reach the outside: one dialer owns `[upstream] resolve`, the upstream
// proxy and the classification of a failed dial. The edge's shell gives it one for
// passthrough; the daemon's gives it one for its tunnels and, under tls-dialer.ts, for the pool's
// TLS connections.
// Environment proxies are never consulted: the meter must not send its own traffic back to itself.

import type { UpstreamTlsFailure } from "../tls/failure.ts";
import { bunConnect, type Connector, httpProxyConnector, openConnection } from "./connect.ts";
import { resolveAddress } from "./resolve.ts";
import type { Sock } from "./sockets.ts";

export interface DialerSettings {
  /** `[upstream] resolve`: where to connect for a host (direct dials only; a proxy resolves names itself). */
  resolve?: Readonly<Record<string, string>>;
  /** `[upstream] proxy`: an http:// proxy every outside dial goes through; empty for none. */
  proxy?: string;
  connectTimeoutMs: number;
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

  constructor(private readonly settings: DialerSettings) {
    this.resolve = settings.resolve ?? {};
    this.direct = settings.connector ?? bunConnect;
    this.outside = settings.proxy ? httpProxyConnector(settings.proxy, this.direct) : this.direct;
  }

  get connectTimeoutMs(): number {
    return this.settings.connectTimeoutMs;
  }

  /** Where a direct dial to host:port goes (`[upstream] resolve`), or null when dials go through the upstream proxy. */
  directAddress(host: string, port: number): { hostname: string; port: number } | null {
    return this.settings.proxy ? null : resolveAddress(this.resolve, host, port);
  }

  /** A raw TCP connection to host:port, for a tunnel: through the upstream proxy, else to the resolved address. */
  async tcp(host: string, port: number, opts: DialOptions = {}): Promise<Dialed> {
    const to = this.directAddress(host, port) ?? { hostname: host, port };
    const opened = await openConnection(this.outside, to.hostname, to.port, opts.timeoutMs ?? this.settings.connectTimeoutMs, opts.abandoned);
    return opened.ok ? opened : classify(opened.code, host, port, opened.message);
  }

  /** One of our own ports on loopback: never through the proxy or the resolve table. */
  async local(port: number, opts: DialOptions = {}): Promise<Dialed> {
    const opened = await openConnection(this.direct, "127.0.0.1", port, opts.timeoutMs ?? this.settings.connectTimeoutMs, opts.abandoned);
    return opened.ok ? opened : classify(opened.code, "127.0.0.1", port, opened.message);
  }
}

/** A failed TCP dial (an errno code, `timeout`, or `EPROXY` with the proxy's own words). */
export function classify(code: string, host: string, port: number, message?: string): DialFailure {
  if (code === "EPROXY") return { ok: false, kind: "proxy", reason: `${message ?? "upstream proxy refused"} (for ${host}:${port})` };
  if (code === "client-gone") return { ok: false, kind: "client-gone", reason: `the client left before ${host}:${port} answered` };
  const kind = code === "timeout" ? "timeout" : code === "ENOTFOUND" || code.startsWith("EAI") ? "dns" : code === "ECONNREFUSED" ? "refused" : "unreachable";
  const why = { dns: "cannot resolve host", refused: "connection refused by", timeout: "timed out connecting to", unreachable: "cannot reach" }[kind];
  return { ok: false, kind, reason: `${why} ${host}:${port} (${code})` };
}
