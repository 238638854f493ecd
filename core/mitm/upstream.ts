// The daemon's keep-alive pool of TLS connections to the real providers. The dialer opens them
// (resolve, upstream proxy, strict verification); the pool keeps idle ones per host for the next
// exchange and closes them when the provider does or after a while.

import type { Socket } from "bun";
import type { DialFailure } from "../proxy/dialer.ts";
import { Outbox } from "../proxy/outbox.ts";
import { idleEvents, type SocketState } from "../proxy/sockets.ts";
import type { TlsDialer } from "../proxy/tls-dialer.ts";

export interface UpstreamConn {
  readonly key: string;
  readonly socket: Socket<SocketState>;
  readonly out: Outbox;
  /** True once this connection has carried an exchange before. */
  reused: boolean;
  closed: boolean;
  idleTimer?: ReturnType<typeof setTimeout>;
}

export type Acquired = { ok: true; conn: UpstreamConn } | DialFailure;

const IDLE_MS = 4000;
const IDLE_PER_HOST = 16;

export class UpstreamPool {
  private idle = new Map<string, UpstreamConn[]>();

  constructor(private readonly dialer: TlsDialer) {}

  async acquire(host: string, port: number): Promise<Acquired> {
    const key = `${host}:${port}`;
    const list = this.idle.get(key);
    while (list?.length) {
      const conn = list.pop()!;
      clearTimeout(conn.idleTimer);
      if (!conn.closed) return { ok: true, conn };
    }
    const dialed = await this.dialer.dial(host, port, idleEvents());
    if (!dialed.ok) return dialed;
    const s = dialed.socket;
    return { ok: true, conn: { key, socket: s, out: new Outbox((d) => s.write(d)), reused: false, closed: false } };
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
}
