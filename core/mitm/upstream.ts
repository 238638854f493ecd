// TLS connections to the real providers: strict verification against real roots (plus an
// optional extra CA), `[upstream] resolve` for tests and air-gapped setups, an optional
// corporate HTTP proxy, and a keep-alive pool. Environment proxies are never consulted: the
// daemon must not send its own traffic back through the edge.

import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import type { Socket } from "bun";
import { parseResponseHead } from "../proxy/head.ts";
import { Outbox } from "../proxy/outbox.ts";
import { resolveAddress } from "../proxy/resolve.ts";
import { forwardingHandlers, idleEvents, type SocketEvents, type SocketState } from "../proxy/sockets.ts";
import { ALPN_HTTP1_ONLY } from "../tls/sni.ts";

export { resolveAddress } from "../proxy/resolve.ts";

export interface UpstreamSettings {
  resolve: Record<string, string>;
  caFile: string;
  proxy: string;
  connectTimeoutMs: number;
}

export type UpstreamFailure = "dns" | "refused" | "timeout" | "tls-verify" | "tls" | "proxy" | "error";

export interface UpstreamConn {
  readonly key: string;
  readonly socket: Socket<SocketState>;
  readonly out: Outbox;
  /** True once this connection has carried an exchange before. */
  reused: boolean;
  closed: boolean;
  idleTimer?: ReturnType<typeof setTimeout>;
}

export type Acquired = { ok: true; conn: UpstreamConn } | { ok: false; kind: UpstreamFailure; reason: string };

const IDLE_MS = 4000;
const IDLE_PER_HOST = 16;

export class UpstreamPool {
  private idle = new Map<string, UpstreamConn[]>();
  private readonly extraCa: string | null;
  private caList: string[] | undefined;

  constructor(private readonly settings: UpstreamSettings) {
    // Read now, so that an unreadable ca_file stops the daemon at start-up with a clear error.
    this.extraCa = settings.caFile ? readFileSync(settings.caFile, "utf8") : null;
  }

  /**
   * With an extra CA the real roots stay trusted too (`ca` replaces the defaults otherwise).
   * Built on first use: Bun's bundled roots take ~65 ms to load, which start-up should not wait for.
   */
  private get ca(): string[] | undefined {
    if (this.extraCa === null) return undefined;
    return (this.caList ??= [...rootCertificates, this.extraCa]);
  }

  async acquire(host: string, port: number): Promise<Acquired> {
    const key = `${host}:${port}`;
    const list = this.idle.get(key);
    while (list?.length) {
      const conn = list.pop()!;
      clearTimeout(conn.idleTimer);
      if (!conn.closed) return { ok: true, conn };
    }
    return this.connect(host, port, key);
  }

  release(conn: UpstreamConn): void {
    if (conn.closed) return;
    conn.reused = true;
    // Idle here, a connection ends when the provider says so: its keep-alive timeout sends a FIN,
    // and since sockets are opened half-open (allowHalfOpen) our side stays open, in CLOSE_WAIT
    // for good, until we close it. A provider that writes unasked (a 408 before it closes) is done
    // with the connection too: the next request sent on it would meet its close.
    const spent = () => this.destroy(conn);
    conn.socket.data.on = { ...idleEvents(), data: spent, end: spent, close: () => this.forget(conn) };
    const list = this.idle.get(conn.key) ?? [];
    if (list.length >= IDLE_PER_HOST) return void this.destroy(conn);
    list.push(conn);
    this.idle.set(conn.key, list);
    conn.idleTimer = setTimeout(() => this.destroy(conn), IDLE_MS);
  }

  destroy(conn: UpstreamConn): void {
    this.forget(conn);
    conn.socket.terminate();
  }

  closeAll(): void {
    for (const list of this.idle.values()) for (const c of [...list]) this.destroy(c);
  }

  private forget(conn: UpstreamConn): void {
    conn.closed = true;
    clearTimeout(conn.idleTimer);
    const list = this.idle.get(conn.key);
    if (list) this.idle.set(conn.key, list.filter((c) => c !== conn));
  }

  private address(host: string, port: number): { hostname: string; port: number } {
    return resolveAddress(this.settings.resolve, host, port);
  }

  private tlsOptions(host: string) {
    return { serverName: host, rejectUnauthorized: true, ALPNProtocols: ALPN_HTTP1_ONLY, ...(this.ca ? { ca: this.ca } : {}) };
  }

  private connect(host: string, port: number, key: string): Promise<Acquired> {
    return new Promise((resolve) => {
      let settled = false;
      let socket: Socket<SocketState> | undefined;
      const settle = (a: Acquired) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!a.ok) socket?.terminate();
        resolve(a);
      };
      const timer = setTimeout(() => settle({ ok: false, kind: "timeout", reason: `timed out connecting to ${host}:${port}` }), this.settings.connectTimeoutMs);
      const onHandshake = (ok: boolean, err: Error | null) => {
        if (!socket) return;
        if (err || !ok) return settle({ ok: false, kind: "tls-verify", reason: `${host}'s certificate failed verification: ${err?.message ?? "handshake failed"}` });
        const s = socket;
        settle({ ok: true, conn: { key, socket: s, out: new Outbox((d) => s.write(d)), reused: false, closed: false } });
      };
      const events: SocketEvents = {
        ...idleEvents(),
        handshake: onHandshake,
        close: (e) => settle({ ok: false, kind: "tls", reason: `${host}:${port} closed the connection during the TLS handshake${e ? ` (${e.message})` : ""}` }),
        connectError: (e) => settle(failure(host, port, e)),
      };
      const state: SocketState = { on: events };
      const done = (s: Socket<SocketState>) => void (socket = s);
      if (this.settings.proxy) {
        this.viaProxy(host, port, state, (s) => done(s), (a) => settle(a));
      } else {
        const addr = this.address(host, port);
        Bun.connect<SocketState>({ ...addr, tls: this.tlsOptions(host), socket: forwardingHandlers, data: state, allowHalfOpen: true }).then(
          (s) => {
            s.setNoDelay(true);
            done(s);
            if (settled) s.terminate();
          },
          (e) => settle(failure(host, port, e)),
        );
      }
    });
  }

  /** CONNECT through the corporate proxy, then TLS to the provider inside that tunnel. */
  private viaProxy(host: string, port: number, state: SocketState, opened: (s: Socket<SocketState>) => void, fail: (a: Acquired) => void): void {
    const proxy = new URL(this.settings.proxy);
    const addr = { hostname: proxy.hostname, port: Number(proxy.port || 80) };
    let buf = Buffer.alloc(0);
    Bun.connect<{ upgraded: boolean }>({
      ...addr,
      data: { upgraded: false },
      socket: {
        open: (raw) => {
          raw.setNoDelay(true);
          raw.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
        },
        data: (raw, d) => {
          if (raw.data.upgraded) return; // ciphertext of the upgraded socket: not ours to read
          buf = Buffer.concat([buf, d]);
          const head = parseResponseHead(buf);
          if (head.kind === "incomplete") return;
          if (head.kind === "invalid" || head.head.status !== 200) {
            raw.terminate();
            return fail({ ok: false, kind: "proxy", reason: `upstream proxy ${proxy.host} refused CONNECT ${host}:${port}${head.kind === "ok" ? ` (${head.head.status})` : ""}` });
          }
          raw.data.upgraded = true;
          const [, tls] = raw.upgradeTLS<SocketState>({ tls: this.tlsOptions(host), socket: forwardingHandlers, data: state });
          opened(tls);
        },
        close: () => fail({ ok: false, kind: "proxy", reason: `upstream proxy ${proxy.host} closed the connection` }),
        connectError: (_s, e) => fail({ ok: false, kind: "proxy", reason: `cannot reach upstream proxy ${proxy.host}: ${(e as Error).message}` }),
      },
    }).catch((e) => fail({ ok: false, kind: "proxy", reason: `cannot reach upstream proxy ${proxy.host}: ${(e as Error).message}` }));
  }
}

function failure(host: string, port: number, e: unknown): Acquired {
  const code = (e as NodeJS.ErrnoException)?.code ?? "";
  if (code === "ENOTFOUND" || code.startsWith("EAI")) return { ok: false, kind: "dns", reason: `cannot resolve ${host}` };
  if (code === "ECONNREFUSED") return { ok: false, kind: "refused", reason: `${host}:${port} refused the connection` };
  return { ok: false, kind: "error", reason: `cannot reach ${host}:${port}: ${(e as Error)?.message ?? code}` };
}
