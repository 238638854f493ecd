// The bench's own HTTPS client: one keep-alive connection, either straight to the server or
// through a proxy with CONNECT (then TLS inside the tunnel), so every path is timed by the same
// code. Bun's native TLS on both routes; responses framed with the proxy's own parsers.

import type { Socket } from "bun";
import { BodyTracker, responseFraming } from "../core/proxy/framing.ts";
import { parseResponseHead } from "../core/proxy/head.ts";
import { forwardingHandlers, idleEvents, type SocketState } from "../core/proxy/sockets.ts";

export interface Route {
  /** The TLS name to ask for and verify. */
  servername: string;
  /** PEM the server's chain must lead to. */
  ca: string;
  /** Straight to this port on 127.0.0.1, or through the proxy. */
  port?: number;
  proxy?: { port: number; authority: string };
}

export interface Answer {
  status: number;
  /** performance.now() when the request was written, its first body byte, and its end. */
  sentAt: number;
  firstBodyAt: number;
  doneAt: number;
}

interface Pending {
  sentAt: number;
  buf: Buffer;
  body: BodyTracker | null;
  status: number;
  firstBodyAt: number;
  onBody?: (payload: Uint8Array, at: number) => void;
  resolve(a: Answer): void;
  reject(e: Error): void;
}

export class HttpsConn {
  private pending: Pending | null = null;
  private closed = false;

  /** `raw`: the TCP socket under the TLS one, when TLS was started inside a CONNECT tunnel. */
  private constructor(
    private readonly socket: Socket<SocketState>,
    private readonly raw: Socket<SocketState> | null,
  ) {
    socket.data.on = {
      ...idleEvents(),
      data: (d) => this.onData(d),
      close: (e) => this.onClose(e),
      end: () => this.onClose(),
    };
  }

  static open(route: Route, timeoutMs = 10_000): Promise<HttpsConn> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`TLS to ${route.servername} timed out`)), timeoutMs);
      const tls = { serverName: route.servername, ca: route.ca, rejectUnauthorized: true };
      const fail = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      let raw: Socket<SocketState> | null = null;
      let secure: Socket<SocketState> | undefined;
      const state: SocketState = {
        on: {
          ...idleEvents(),
          handshake: (ok, err) => {
            clearTimeout(timer);
            if (!ok || err) return reject(new Error(`TLS to ${route.servername} failed: ${err?.message ?? "handshake"}`));
            resolve(new HttpsConn(secure!, raw));
          },
          close: (e) => fail(e ?? new Error(`connection to ${route.servername} closed during the handshake`)),
          connectError: fail,
        },
      };
      const proxy = route.proxy;
      if (!proxy) {
        Bun.connect<SocketState>({ hostname: "127.0.0.1", port: route.port!, tls, socket: forwardingHandlers, data: state }).then((s) => {
          s.setNoDelay(true);
          secure = s;
        }, fail);
        return;
      }
      let head = Buffer.alloc(0);
      let upgraded = false;
      const tunnel: SocketState = {
        on: {
          ...idleEvents(),
          data: (d) => {
            if (upgraded) return; // ciphertext of the upgraded socket: not ours
            head = Buffer.concat([head, d]);
            const end = head.indexOf("\r\n\r\n");
            if (end < 0) return;
            if (!/^HTTP\/1\.[01] 200/.test(head.toString("latin1"))) return fail(new Error(`CONNECT refused: ${head.toString("latin1").split("\r\n")[0]}`));
            upgraded = true;
            secure = raw!.upgradeTLS<SocketState>({ tls, socket: forwardingHandlers, data: state })[1];
          },
          close: (e) => !upgraded && fail(e ?? new Error("proxy closed the connection")),
          connectError: fail,
        },
      };
      Bun.connect<SocketState>({ hostname: "127.0.0.1", port: proxy.port, socket: forwardingHandlers, data: tunnel }).then((s) => {
        raw = s;
        s.setNoDelay(true);
        s.write(`CONNECT ${proxy.authority} HTTP/1.1\r\nHost: ${proxy.authority}\r\n\r\n`);
      }, fail);
    });
  }

  /** Sends one request and resolves when its response has been framed to the end. */
  request(bytes: string | Uint8Array, onBody?: Pending["onBody"]): Promise<Answer> {
    if (this.closed) return Promise.reject(new Error("connection closed"));
    if (this.pending) return Promise.reject(new Error("one request at a time"));
    return new Promise((resolve, reject) => {
      this.pending = { sentAt: performance.now(), buf: Buffer.alloc(0), body: null, status: 0, firstBodyAt: 0, onBody, resolve, reject };
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.closed = true;
    this.socket.end();
  }

  /** Drops the connection at once, as a client that gives up on a stream does. */
  abort(): void {
    this.closed = true;
    this.socket.terminate();
    this.raw?.terminate();
  }

  private onData(d: Buffer): void {
    const p = this.pending;
    if (!p) return;
    const at = performance.now();
    let rest: Buffer = d;
    if (!p.body) {
      p.buf = p.buf.length ? Buffer.concat([p.buf, d]) : d;
      const parsed = parseResponseHead(p.buf);
      if (parsed.kind === "incomplete") return;
      if (parsed.kind === "invalid") return this.fail(new Error(`bad response: ${parsed.reason}`));
      const framing = responseFraming("POST", parsed.head.status, parsed.head.headers);
      if (!framing.ok) return this.fail(new Error(framing.reason));
      p.status = parsed.head.status;
      p.body = new BodyTracker(framing.framing);
      rest = p.buf.subarray(parsed.length);
      if (p.body.done) return this.done(at);
      if (rest.length === 0) return;
    }
    const r = p.body.feed(rest);
    if (r.kind === "invalid") return this.fail(new Error(r.reason));
    if (r.consumed > 0 && p.firstBodyAt === 0) p.firstBodyAt = at;
    if (p.onBody) for (const payload of r.payload) p.onBody(payload, at);
    if (r.done) this.done(at);
  }

  private done(at: number): void {
    const p = this.pending!;
    this.pending = null;
    p.resolve({ status: p.status, sentAt: p.sentAt, firstBodyAt: p.firstBodyAt || at, doneAt: at });
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = null;
    p?.reject(e);
    this.close();
  }

  private onClose(e?: Error): void {
    this.closed = true;
    this.fail(e ?? new Error("connection closed by the peer"));
  }
}

export const SMALL_BODY = '{"model":"claude-sonnet-4-20250514","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}';

/** A small Anthropic request, as a client would send it. */
export function messagesRequest(host: string, query = ""): string {
  return (
    `POST /v1/messages${query} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: halton-bench/1\r\nContent-Type: application/json\r\n` +
    `anthropic-version: 2023-06-01\r\nx-api-key: sk-ant-bench\r\nContent-Length: ${Buffer.byteLength(SMALL_BODY)}\r\n\r\n${SMALL_BODY}`
  );
}
