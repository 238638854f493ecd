// Verified TLS to a provider, for the daemon's pool: the TCP part as the dialer reaches hosts
// (`[upstream] resolve` or the upstream proxy), then a strict handshake (HTTP/1.1 by ALPN) with
// the real roots plus `[upstream] ca_file`. Kept apart from dialer.ts so that the edge, which
// never speaks TLS, does not load node:tls.

import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { describeTlsFailure, type UpstreamTlsFailure } from "../tls/failure.ts";
import { ALPN_HTTP1_ONLY } from "../tls/sni.ts";
import { errorCode } from "./connect.ts";
import { classify, type DialFailure, type Dialer } from "./dialer.ts";
import { forwardingHandlers, idleEvents, type SocketEvents, type SocketState, type Sock } from "./sockets.ts";

export type TlsDialed = { ok: true; socket: Sock } | DialFailure;

export class TlsDialer {
  private readonly extraCa: string | null;
  private caList: string[] | undefined;

  /** `caFile` is read now, so that a bad path fails at start-up. */
  constructor(
    private readonly dialer: Dialer,
    caFile?: string,
  ) {
    this.extraCa = caFile ? readFileSync(caFile, "utf8") : null;
  }

  /** Within one connect timeout; `events` become the socket's once the handshake succeeded. */
  dial(host: string, port: number, events: SocketEvents): Promise<TlsDialed> {
    return new Promise((resolve) => {
      let settled = false;
      let socket: Sock | undefined;
      // A handshake heard before the connect promise handed us the socket completes on its arrival.
      let handshook = false;
      const settle = (r: TlsDialed) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (r.ok) r.socket.data.on = events;
        else socket?.terminate();
        resolve(r);
      };
      const timer = setTimeout(() => settle(classify("timeout", host, port)), this.dialer.connectTimeoutMs);
      const state: SocketState = {
        on: {
          ...idleEvents(),
          handshake: (ok, err) => {
            if (!ok || err) settle(handshakeFailure(host, port, err));
            else if (socket) settle({ ok: true, socket });
            else handshook = true;
          },
          close: (e) => settle(tlsFailure({ kind: "closed", host, port, error: e?.message ?? null })),
          connectError: (e) => settle(classify(errorCode(e), host, port)),
        },
      };
      const opened = (s: Sock) => {
        socket = s;
        if (settled) s.terminate();
        else if (handshook) settle({ ok: true, socket: s });
      };
      const tls = { serverName: host, rejectUnauthorized: true, ALPNProtocols: ALPN_HTTP1_ONLY, ...(this.ca ? { ca: this.ca } : {}) };
      const direct = this.dialer.directAddress(host, port);
      if (direct) {
        Bun.connect<SocketState>({ ...direct, tls, socket: forwardingHandlers, data: state, allowHalfOpen: true }).then((s) => {
          s.setNoDelay(true);
          opened(s);
        }, (e) => settle(classify(errorCode(e), host, port)));
        return;
      }
      // Through the upstream proxy: its CONNECT first, then TLS to the provider inside the tunnel.
      this.dialer.tcp(host, port, { abandoned: () => settled }).then((raw) => {
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
