// The TCP layer under the dialer (dialer.ts): opening a connection for a relay, bounded by a
// timeout, keeping any bytes the server sends before the relay is wired (a banner), so nothing
// is lost between "open" and "splice"; and the CONNECT through an upstream HTTP proxy.

import { parseResponseHead } from "./head.ts";
import { forwardingHandlers, idleEvents, type SocketEvents, type SocketState, type Sock } from "./sockets.ts";

export type Connector = (host: string, port: number, events: SocketEvents) => Promise<Sock>;

export const bunConnect: Connector = (hostname, port, events) =>
  Bun.connect<SocketState>({ hostname, port, socket: forwardingHandlers, data: { on: events }, allowHalfOpen: true });

/** A failed CONNECT through an upstream proxy; `code` is "EPROXY" so failures classify as such. */
export class ProxyRefused extends Error {
  readonly code = "EPROXY";
}

/**
 * `[upstream] proxy`: a Connector that reaches host:port through an HTTP proxy's CONNECT, for
 * networks whose only way out is a corporate proxy. Resolves once the proxy answered 200; bytes
 * that arrived after the proxy's answer are handed to the caller's `data` first.
 */
export function httpProxyConnector(proxyUrl: string, connect: Connector = bunConnect): Connector {
  const proxy = new URL(proxyUrl);
  const proxyPort = Number(proxy.port || 80);
  return (host, port, events) =>
    new Promise<Sock>((resolve, reject) => {
      let head = Buffer.alloc(0);
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        socket?.terminate();
        reject(new ProxyRefused(`upstream proxy ${proxy.host} ${why}`));
      };
      const handshake: SocketEvents = {
        ...idleEvents(),
        data(chunk) {
          head = Buffer.concat([head, chunk]);
          const parsed = parseResponseHead(head);
          if (parsed.kind === "incomplete") return;
          if (parsed.kind === "invalid" || parsed.head.status !== 200) {
            return fail(`refused CONNECT ${host}:${port}${parsed.kind === "ok" ? ` (${parsed.head.status})` : " (not HTTP)"}`);
          }
          if (!socket) return;
          settled = true;
          socket.data.on = events;
          resolve(socket);
          const rest = head.subarray(parsed.length);
          if (rest.length) events.data(Buffer.from(rest));
        },
        end: () => fail("closed the connection before answering CONNECT"),
        close: () => fail("closed the connection before answering CONNECT"),
        connectError: (e) => fail(`cannot be reached: ${e.message}`),
      };
      let socket: Sock | undefined;
      connect(proxy.hostname, proxyPort, handshake).then((s) => {
        socket = s;
        s.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
      }, (e: Error) => fail(`cannot be reached: ${e.message}`));
    });
}

export type Opened = { ok: true; socket: Sock; early: Buffer[] } | { ok: false; code: string; message?: string };

/** `abandoned()` is asked once the socket is open: true means nobody wants it any more. */
export function openConnection(connect: Connector, host: string, port: number, timeoutMs: number, abandoned: () => boolean = () => false): Promise<Opened> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (o: Opened) => {
      if (settled) return o.ok && o.socket.terminate();
      settled = true;
      clearTimeout(timer);
      if (o.ok && abandoned()) {
        o.socket.terminate();
        return resolve({ ok: false, code: "client-gone" });
      }
      resolve(o);
    };
    const timer = setTimeout(() => settle({ ok: false, code: "timeout" }), timeoutMs);
    const early: Buffer[] = [];
    const events = { ...idleEvents(), data: (d: Buffer) => void early.push(Buffer.from(d)), connectError: (e: Error) => settle({ ok: false, code: errorCode(e) }) };
    connect(host, port, events).then(
      (socket) => {
        socket.setNoDelay(true);
        settle({ ok: true, socket, early });
      },
      (e) => settle({ ok: false, code: errorCode(e), message: e instanceof ProxyRefused ? e.message : undefined }),
    );
  });
}

export function errorCode(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : "error";
}
