// The fake provider: a raw TLS server (the test CA's certificate for every provider host) that
// frames each request exactly as it arrives and answers it from a per-test script, one request
// at a time per connection. It records the exact bytes per connection unless told not to (the
// bench and long chaos runs send too many to keep). Options add a keep-alive timeout, as real
// providers have. The wire formats live beside it: ./anthropic.ts (generated answers),
// ./fixtures.ts (recorded answers of every provider), ./messages.ts (streams on demand).

import type { Socket, TCPSocketListener } from "bun";
import { anthropicJson } from "./anthropic.ts";
import { chunkedLength, type FakeRequest, framingOf, ReceivedRequest } from "./request-head.ts";

export type { FakeRequest };

export interface FakeConn {
  id: number;
  /** The client's port and ours: who connected, from /proc/net/tcp. */
  remotePort: number;
  localPort: number;
  /** Every byte received on this connection, in order (empty when not recording). */
  raw: Buffer[];
  requests: FakeRequest[];
  /** The client or we closed it. */
  readonly closed: boolean;
  /** Writes in order; what the socket does not take now goes out on drain. */
  write(data: string | Uint8Array): void;
  /** Ends the connection once everything written has gone. */
  end(): void;
  /** Stops dead: the peer sees a reset, not an end. */
  reset(): void;
  /** After a 101: echo every further byte back raw. */
  echoRaw(): void;
}

export type Script = (req: FakeRequest, conn: FakeConn) => void | Promise<void>;

export interface IdleOptions {
  /** A connection with no request for this long is idle. */
  ms: number;
  /**
   * "close" (default): a FIN after TLS close_notify, what a proxy sees of a server that closes.
   * Measured on Bun 1.4.4: `shutdown()` sends that FIN; a TLS `end()` sends the alert but no FIN
   * until the peer answers it; with `terminate()` the peer hears a close, not a half-close.
   * "stray": an answer nobody asked for (a 408), and the connection kept.
   */
  then?: "close" | "stray";
}

export interface FakeProviderOptions {
  cert: string;
  key: string;
  script?: Script;
  /** Keep every connection, request and byte (default true). */
  record?: boolean;
  idle?: IdleOptions;
}

export interface FakeProvider {
  port: number;
  conns: FakeConn[];
  /** Every framed request across connections, in arrival order. */
  requests(): FakeRequest[];
  /** Concatenated raw bytes of every connection. */
  rawOf(conn: number): Buffer;
  script: Script;
  /** Whether to answer `Expect: 100-continue` with an interim 100 (default true). */
  sendContinue: boolean;
  /** Connections open now, and ever accepted. */
  readonly open: number;
  readonly accepted: number;
  /** Connections closed (or, "stray", written to) for being idle. */
  readonly idleClosed: number;
  stop(): void;
}

interface ConnState {
  conn: FakeConn;
  buf: Buffer;
  /** The answers still running on this connection (the next request waits for them), or null. */
  queue: Promise<void> | null;
  echo: boolean;
  continued: boolean;
  closed: boolean;
  /** Bytes the socket did not take yet, and whether to end once they are gone. */
  pending: Buffer[];
  endAfter: boolean;
  idle?: ReturnType<typeof setTimeout>;
}

/** What a server with a keep-alive timeout sends unasked before it closes (or instead). */
const STRAY_408 = "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n";

function flush(s: Socket<ConnState>): void {
  const st = s.data;
  while (st.pending.length) {
    const b = st.pending[0]!;
    const n = s.write(b);
    if (n < b.length) {
      st.pending[0] = b.subarray(Math.max(n, 0));
      return;
    }
    st.pending.shift();
  }
  if (st.endAfter) s.end();
}

export function startFakeProvider(opts: FakeProviderOptions): FakeProvider {
  const record = opts.record ?? true;
  let nextId = 0;
  let open = 0;
  let idleClosed = 0;
  const ordered: FakeRequest[] = [];
  const live = new Set<Socket<ConnState>>();
  const fp: FakeProvider = {
    port: 0,
    conns: [],
    requests: () => ordered,
    rawOf: (i) => Buffer.concat(fp.conns[i]!.raw),
    script: opts.script ?? ((_r, c) => c.write(anthropicJson({ input: 1, output: 1 }))),
    sendContinue: true,
    get open() {
      return open;
    },
    get accepted() {
      return nextId;
    },
    get idleClosed() {
      return idleClosed;
    },
    stop: () => {},
  };

  const armIdle = (s: Socket<ConnState>): void => {
    const idle = opts.idle;
    if (!idle || s.data.closed) return;
    clearTimeout(s.data.idle);
    s.data.idle = setTimeout(() => {
      idleClosed++;
      if (idle.then === "stray") s.write(STRAY_408);
      else s.shutdown();
    }, idle.ms);
  };

  /** Runs the script for one request; a promise when it answers asynchronously. */
  const answer = (s: Socket<ConnState>, req: FakeRequest): void | Promise<void> => {
    let r: void | Promise<void>;
    try {
      r = fp.script(req, s.data.conn);
    } catch {
      return s.data.conn.end();
    }
    if (!r) return armIdle(s);
    return r.then(
      () => armIdle(s),
      () => s.data.conn.end(),
    );
  };

  /** Runs `step` now when nothing is in flight on the connection, else after what is. */
  const inTurn = (s: Socket<ConnState>, step: () => void | Promise<void>): void => {
    const st = s.data;
    const p = st.queue ? st.queue.then(step) : step();
    if (!p) return;
    const mine: Promise<void> = p.then(() => {
      if (st.queue === mine) st.queue = null;
    });
    st.queue = mine;
  };

  const pump = (s: Socket<ConnState>): void => {
    const st = s.data;
    for (;;) {
      if (st.echo) return;
      const end = st.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = st.buf.subarray(0, end + 4);
      const text = head.toString("latin1");
      const lower = text.toLowerCase();
      const f = framingOf(text, lower);
      const rest = st.buf.subarray(end + 4);
      const bodyLen = f.length === "chunked" ? chunkedLength(rest) : f.length;
      if (bodyLen < 0 || rest.length < bodyLen) {
        if (fp.sendContinue && !st.continued && f.expectContinue) {
          st.continued = true;
          st.conn.write("HTTP/1.1 100 Continue\r\n\r\n");
        }
        return;
      }
      st.continued = false;
      const body = rest.subarray(0, bodyLen);
      // Recorded requests outlive the connection's buffer: they get copies.
      const req = new ReceivedRequest(record ? Buffer.from(head) : head, record ? Buffer.from(body) : body, text, lower);
      st.buf = rest.subarray(bodyLen);
      if (record) {
        st.conn.requests.push(req);
        ordered.push(req);
      }
      inTurn(s, () => answer(s, req));
      if (f.upgrade) {
        // Whatever followed the upgrade head is frame data: echo once the script has answered.
        const leftover = st.buf;
        st.buf = Buffer.alloc(0);
        inTurn(s, () => {
          if (st.echo && leftover.length) st.conn.write(leftover);
        });
        return;
      }
    }
  };

  const l: TCPSocketListener<ConnState> = Bun.listen<ConnState>({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: opts.cert, key: opts.key },
    socket: {
      open(s) {
        s.setNoDelay(true);
        open++;
        live.add(s);
        const st: ConnState = { buf: Buffer.alloc(0), queue: null, echo: false, continued: false, closed: false, pending: [], endAfter: false, conn: undefined as unknown as FakeConn };
        st.conn = {
          id: nextId++,
          remotePort: s.remotePort,
          localPort: s.localPort,
          raw: [],
          requests: [],
          get closed() {
            return st.closed;
          },
          write: (d) => {
            if (st.closed) return;
            const b = typeof d === "string" ? Buffer.from(d, "latin1") : d;
            if (st.pending.length) return void st.pending.push(Buffer.from(b));
            const n = s.write(b);
            if (n < b.length) st.pending.push(Buffer.from(b.subarray(Math.max(n, 0))));
          },
          end: () => {
            if (st.pending.length) st.endAfter = true;
            else s.end();
          },
          reset: () => s.terminate(),
          echoRaw: () => {
            st.echo = true;
          },
        };
        s.data = st;
        if (record) fp.conns.push(st.conn);
      },
      data(s, d) {
        const st = s.data;
        clearTimeout(st.idle);
        if (record) st.conn.raw.push(Buffer.from(d));
        if (st.echo) {
          st.conn.write(d);
          return;
        }
        st.buf = st.buf.length ? Buffer.concat([st.buf, d]) : d;
        pump(s);
      },
      drain: flush,
      close(s) {
        const st = s.data;
        clearTimeout(st?.idle);
        if (st) st.closed = true;
        if (live.delete(s)) open--;
      },
    },
  });
  fp.port = l.port;
  fp.stop = () => {
    for (const s of live) clearTimeout(s.data.idle);
    l.stop(true);
  };
  return fp;
}

// One import for a test's provider: the wire formats and the certificates, re-exported.
export * from "./anthropic.ts";
export { makeTestCerts, PROVIDER_HOSTS, type TestCerts } from "./certs.ts";
