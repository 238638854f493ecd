// The I/O shell's socket glue. Bun fixes a socket's handlers when it is created, so every
// socket we make carries a mutable set of callbacks in `socket.data.on`, and one shared
// handler object forwards to them. A connection changes behaviour (head parsing, relay) by
// swapping callbacks, never by re-creating the socket.

import type { Socket, SocketHandler } from "bun";
import { reportBug } from "../log/crash-guard.ts";
import { Pipe } from "./pipe.ts";

export interface SocketEvents {
  open?(): void;
  data(chunk: Buffer): void;
  drain(): void;
  /** The peer half-closed (FIN). */
  end(): void;
  close(error?: Error): void;
  connectError?(error: Error): void;
  timeout?(): void;
  /** TLS sockets: the handshake finished (ok) or failed (error says why). */
  handshake?(ok: boolean, error: Error | null): void;
}

export interface SocketState {
  on: SocketEvents;
  /** Free-form per-connection fields the owner keeps. */
  tag?: unknown;
}

export type Sock = Socket<SocketState>;

const noop = () => {};
export const idleEvents = (): SocketEvents => ({ data: noop, drain: noop, end: noop, close: noop });

/**
 * A callback that threw is a bug, and it must cost one connection, not the process: it is logged
 * (`proxy.callback_error`) and the socket terminated, which runs its owner's close path at once
 * (Bun calls `close` inside `terminate()`), so the client sees the connection end instead of a
 * socket left half-alive with nobody driving it. A throwing `close` is already that path.
 */
function failed(s: Sock, callback: string, thrown: unknown): void {
  reportBug("proxy.callback_error", thrown, { callback });
  if (callback !== "close" && callback !== "connectError") s.terminate();
}

/** Bun's own socket and TLS errors carry an errno-style code (EPROTO, ECONNRESET); a bug's do not. */
const isSocketFault = (err: unknown): boolean => err instanceof Error && /^E[A-Z]+$/.test(String((err as NodeJS.ErrnoException).code));

function guard(s: Sock, callback: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    failed(s, callback, err);
  }
}

export const forwardingHandlers: SocketHandler<SocketState> = {
  open: (s) => guard(s, "open", () => s.data.on.open?.()),
  data: (s, d) => guard(s, "data", () => s.data.on.data(d)),
  drain: (s) => guard(s, "drain", () => s.data.on.drain()),
  end: (s) => guard(s, "end", () => s.data.on.end()),
  // `data` is unset on a socket whose owner's `open` threw before setting it.
  close: (s, err) => guard(s, "close", () => s.data?.on.close(err)),
  // Bun 1.4.4 calls `error` for a TLS fault (EPROTO: a bad record), then closes the socket as
  // usual (a peer's reset arrives as `close` alone), and when a handler it ran threw: one that an
  // owner put in place of these, such as a listener's `open` or a TLS upgrade's `handshake`. That
  // socket Bun leaves open, so it is failed like any other (tests/proxy/callback-error.test.ts).
  error: (s, err) => {
    if (!isSocketFault(err)) reportBug("proxy.callback_error", err, { callback: "handler" });
    forwardingHandlers.close!(s, err);
    s.terminate();
  },
  connectError: (s, err) => guard(s, "connectError", () => (s.data.on.connectError ?? s.data.on.close)(err)),
  // Every deadline is one of our own timers. Bun arms a 120 s timer on each accepted socket that
  // traffic does not reset (tests/proxy/long-lived.test.ts): acting on it would cut a long
  // stream at two minutes. `disarmAcceptTimer` turns it off; an event that still comes is ignored.
  timeout: (s) => guard(s, "timeout", () => s.data.on.timeout?.()),
  handshake: (s, ok, err) => guard(s, "handshake", () => s.data.on.handshake?.(ok, err)),
};

/** Turns off the 120 s timer Bun starts on every accepted socket (see `timeout` above). */
export function disarmAcceptTimer(s: Sock): void {
  s.timeout(0);
}

function sinkOf(s: Sock) {
  return {
    write: (d: Uint8Array) => s.write(d),
    shutdown: () => s.shutdown(),
  };
}

export interface Splice {
  /** Bytes client → upstream and upstream → client. */
  readonly up: Pipe;
  readonly down: Pipe;
  /** Ends both sides now (after queued bytes had their chance). */
  close(): void;
}

/**
 * Sees a copy of what a relay carries, each chunk after it was handed to its pipe, and hears
 * once that the relay is over. It cannot touch the relay: a tap that throws is dropped.
 */
export interface SpliceTap {
  /** `up`: a → b. The chunk is the relay's own: read it, never change or keep it. */
  bytes(direction: "up" | "down", chunk: Uint8Array): void;
  closed(): void;
}

/**
 * Relays bytes both ways between two open sockets until both directions have ended or either
 * side closes. FIN is propagated as a half-close; a close of one side ends the other once its
 * queue is flushed. `onClosed` runs exactly once.
 */
export function splice(a: Sock, b: Sock, onClosed: () => void = noop, tap: SpliceTap | null = null): Splice {
  let closed = false;
  let watcher = tap;
  const tell = (fn: (t: SpliceTap) => void) => {
    if (!watcher) return;
    try {
      fn(watcher);
    } catch {
      watcher = null;
    }
  };
  const closeBoth = () => {
    if (closed) return;
    closed = true;
    a.end();
    b.end();
    onClosed();
    tell((t) => t.closed());
  };
  let finishedDirections = 0;
  const directionDone = () => {
    if (++finishedDirections === 2) closeBoth();
  };
  const up = new Pipe(a, sinkOf(b), directionDone);
  const down = new Pipe(b, sinkOf(a), directionDone);
  const wire = (self: Sock, out: Pipe, back: Pipe, direction: "up" | "down") => {
    self.data.on = {
      data: (d) => {
        out.push(d);
        tell((t) => t.bytes(direction, d));
      },
      drain: () => back.drain(),
      end: () => out.endOfInput(),
      close: () => {
        // Whatever we already queued for the other side still goes out; what waits for us is lost.
        out.endOfInput();
        back.abort();
      },
    };
  };
  wire(a, up, down, "up");
  wire(b, down, up, "down");
  return { up, down, close: closeBoth };
}
