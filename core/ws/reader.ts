// A WebSocket reader for one direction of an upgraded connection, fed copies of the bytes the
// proxy forwards. Pure and bounded: it holds at most one message (up to `maxMessageBytes`, the
// cap on both its wire payload and what it inflates to), a partial header and the deflate
// window; it never throws, and whatever it reports cannot change the bytes that were forwarded.
// On a protocol violation it stops reading (an endpoint would fail the connection; an observer
// loses only the metering of what follows).

import { createInflater, DEFLATE_TAIL, type DeflateParams, type Inflater } from "./deflate.ts";
import { createFrameSplitter, type FrameHeader, type FramePiece, OPCODE, unmaskInto } from "./frames.ts";
import type { DataOpcode, Direction, ReaderState, WsEvent } from "./types.ts";

export { type DeflateParams, negotiatedDeflate } from "./deflate.ts";
export type { DataOpcode, Direction, ReaderState, SkipReason, WsEvent } from "./types.ts";

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface WsReaderOptions {
  /** Who sent these bytes: client frames are masked, server frames are not. */
  from: Direction;
  /** From the 101 response (`negotiatedDeflate`), or null when no extension was agreed. */
  deflate: DeflateParams | null;
  maxMessageBytes?: number;
}

export interface WsReader {
  /** The events completed by `bytes`. `bytes` is not kept: it may be reused once this returns. */
  push(bytes: Uint8Array): WsEvent[];
  /** The connection ended: a truncated event if it ended inside a frame or message. */
  end(): WsEvent[];
  readonly state: ReaderState;
}

interface OpenMessage {
  opcode: DataOpcode;
  compressed: boolean;
  /** Payload bytes on the wire so far. */
  bytes: number;
  /** One buffer per frame; null once the message passed the cap and is only counted. */
  parts: Uint8Array[] | null;
}

export function createWsReader(options: WsReaderOptions): WsReader {
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const splitter = createFrameSplitter({ masked: options.from === "client", deflate: options.deflate !== null });
  const inflater = options.deflate === null ? null : inflaterFor(options.from, options.deflate, max);
  let state: ReaderState = "open";
  let message: OpenMessage | null = null;
  let frame: FrameHeader | null = null;
  /** Where the current frame's payload is copied; null when it is not kept. */
  let target: Uint8Array | null = null;

  function push(bytes: Uint8Array): WsEvent[] {
    const events: WsEvent[] = [];
    if (state !== "open") return events;
    for (const piece of splitter.push(bytes)) {
      take(piece, events);
      if (state !== "open") break;
    }
    return events;
  }

  function take(piece: FramePiece, events: WsEvent[]): void {
    if (piece.kind === "invalid") return fail(piece.reason, events);
    if (piece.kind === "header") return begin(piece.header, events);
    if (piece.kind === "payload") {
      if (target !== null) unmaskInto(target, piece.offset, piece.bytes, frame!.mask, piece.offset);
      return;
    }
    const ended = frame!;
    const payload = target;
    frame = null;
    target = null;
    if (ended.opcode === OPCODE.close) return close(payload!, events);
    if (ended.opcode === OPCODE.ping || ended.opcode === OPCODE.pong) {
      events.push({ kind: ended.opcode === OPCODE.ping ? "ping" : "pong", data: payload! });
      return;
    }
    if (ended.fin) finish(message!, events);
  }

  function begin(header: FrameHeader, events: WsEvent[]): void {
    frame = header;
    if (header.opcode >= OPCODE.close) {
      target = new Uint8Array(header.length);
      return;
    }
    // §5.4: a message's frames are one data frame and its continuations, in order.
    if (header.opcode === OPCODE.continuation && message === null) return fail("a continuation frame with no message to continue", events);
    if (header.opcode !== OPCODE.continuation && message !== null) return fail("a new data frame while a fragmented message is open", events);
    message ??= { opcode: header.opcode === OPCODE.text ? "text" : "binary", compressed: header.rsv1, bytes: 0, parts: [] };
    message.bytes += header.length;
    if (message.bytes > max) message.parts = null;
    if (message.parts === null) return;
    // The last frame of a compressed message has room for the tail the sender stripped.
    const tail = message.compressed && header.fin ? DEFLATE_TAIL.length : 0;
    target = new Uint8Array(header.length + tail);
    if (tail > 0) target.set(DEFLATE_TAIL, header.length);
    message.parts.push(target);
  }

  function finish(done: OpenMessage, events: WsEvent[]): void {
    message = null;
    const { opcode, bytes } = done;
    if (done.parts === null) {
      if (done.compressed) inflater!.lose();
      events.push({ kind: "skipped", reason: "too-large", opcode, bytes });
      return;
    }
    const payload = join(done.parts);
    if (!done.compressed) {
      events.push({ kind: "message", opcode, data: payload });
      return;
    }
    const inflated = inflater!.inflate(payload);
    events.push(inflated.kind === "ok" ? { kind: "message", opcode, data: inflated.data } : { kind: "skipped", reason: inflated.reason, opcode, bytes });
  }

  function close(payload: Uint8Array, events: WsEvent[]): void {
    // §5.5.1: a close body, when there is one, starts with a 2-byte status code.
    if (payload.length === 1) return fail("a close frame with a 1-byte payload", events);
    state = "closed";
    if (payload.length === 0) {
      events.push({ kind: "close" });
      return;
    }
    const code = (payload[0]! << 8) | payload[1]!;
    events.push({ kind: "close", code, reason: new TextDecoder().decode(payload.subarray(2)) });
  }

  function fail(reason: string, events: WsEvent[]): void {
    state = "invalid";
    message = null;
    target = null;
    events.push({ kind: "invalid", reason });
  }

  function end(): WsEvent[] {
    if (state !== "open") return [];
    state = "closed";
    const cut = splitter.midFrame || message !== null;
    message = null;
    target = null;
    return cut ? [{ kind: "truncated" }] : [];
  }

  return {
    push,
    end,
    get state() {
      return state;
    },
  };
}

function inflaterFor(from: Direction, params: DeflateParams, max: number): Inflater {
  const server = from === "server";
  return createInflater({
    noContextTakeover: server ? params.serverNoContextTakeover : params.clientNoContextTakeover,
    windowBits: server ? params.serverMaxWindowBits : params.clientMaxWindowBits,
    maxOutputBytes: max,
  });
}

/** The frames of a message as one buffer; a one-frame message is not copied again. */
function join(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
