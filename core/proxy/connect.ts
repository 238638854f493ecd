// Opening a TCP connection for a relay: bounded by a timeout, and keeping any bytes the server
// sends before the relay is wired (a banner), so nothing is lost between "open" and "splice".

import { forwardingHandlers, idleEvents, type SocketEvents, type SocketState, type Sock } from "./sockets.ts";

export type Connector = (host: string, port: number, events: SocketEvents) => Promise<Sock>;

export const bunConnect: Connector = (hostname, port, events) =>
  Bun.connect<SocketState>({ hostname, port, socket: forwardingHandlers, data: { on: events }, allowHalfOpen: true });

export type Opened = { ok: true; socket: Sock; early: Buffer[] } | { ok: false; code: string };

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
      (e) => settle({ ok: false, code: errorCode(e) }),
    );
  });
}

export function errorCode(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : "error";
}

export type ConnectFailure = "dns" | "refused" | "timeout" | "unreachable";

/** A failed open, classified, with the sentence a person reads in the 502 body. */
export function describeConnectFailure(code: string, host: string, port: number): { kind: ConnectFailure; reason: string } {
  const kind: ConnectFailure =
    code === "timeout" ? "timeout" : code === "ENOTFOUND" || code.startsWith("EAI") ? "dns" : code === "ECONNREFUSED" ? "refused" : "unreachable";
  const why = { dns: "cannot resolve host", refused: "connection refused by", timeout: "timed out connecting to", unreachable: "cannot reach" }[kind];
  return { kind, reason: `${why} ${host}:${port} (${code})` };
}
