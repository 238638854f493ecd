// A keep-alive HTTPS provider with a keep-alive timeout, as real ones have: it answers every
// request (Content-Length bodies) with one fixed answer and closes a connection left idle for
// `idleMs` with a FIN (after TLS close_notify), which is what a proxy sees of a server that
// closes. Measured on Bun 1.4.4: `shutdown()` sends that FIN; a TLS `end()` sends the alert but no
// FIN until the peer answers it; with `terminate()` the peer hears a close, not a half-close.
// With `onIdle: "stray"` it instead writes an answer nobody asked for and keeps the connection.

import type { Socket, TCPSocketListener } from "bun";

export interface IdleProvider {
  port: number;
  /** Connections open now, and ever accepted. */
  readonly open: number;
  readonly accepted: number;
  /** Connections this provider closed (or, "stray", wrote to) for being idle. */
  readonly idleClosed: number;
  stop(): void;
}

interface Conn {
  buf: Buffer;
  idle?: ReturnType<typeof setTimeout>;
}

/** What a server with a keep-alive timeout sends unasked before it closes (or instead). */
const STRAY_408 = "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n";

export function startIdleProvider(opts: { cert: string; key: string; answer: string; idleMs: number; onIdle?: "close" | "stray" }): IdleProvider {
  let open = 0;
  let accepted = 0;
  let idleClosed = 0;
  const live = new Set<Socket<Conn>>();

  const closeIdle = (s: Socket<Conn>) => {
    idleClosed++;
    if (opts.onIdle === "stray") s.write(STRAY_408);
    else s.shutdown();
  };

  const pump = (s: Socket<Conn>) => {
    for (;;) {
      const st = s.data;
      const end = st.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(st.buf.subarray(0, end).toString("latin1"))?.[1] ?? 0);
      if (st.buf.length < end + 4 + length) return;
      st.buf = st.buf.subarray(end + 4 + length);
      s.write(opts.answer);
      clearTimeout(st.idle);
      st.idle = setTimeout(() => closeIdle(s), opts.idleMs);
    }
  };

  const listener: TCPSocketListener<Conn> = Bun.listen<Conn>({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: opts.cert, key: opts.key },
    socket: {
      open(s) {
        open++;
        accepted++;
        live.add(s);
        s.setNoDelay(true);
        s.data = { buf: Buffer.alloc(0) };
      },
      data(s, d) {
        clearTimeout(s.data.idle);
        s.data.buf = s.data.buf.length ? Buffer.concat([s.data.buf, d]) : Buffer.from(d);
        pump(s);
      },
      close(s) {
        clearTimeout(s.data?.idle);
        if (live.delete(s)) open--;
      },
    },
  });

  return {
    port: listener.port,
    get open() {
      return open;
    },
    get accepted() {
      return accepted;
    },
    get idleClosed() {
      return idleClosed;
    },
    stop() {
      for (const s of live) clearTimeout(s.data.idle);
      listener.stop(true);
    },
  };
}
