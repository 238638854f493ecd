// The client's side of a connection, read as it arrives: request heads and the bodies they
// frame, with whatever the client sent ahead (a body waiting for its upstream, a pipelined
// request) held until the exchange machine can take it. Pure.

import { BodyTracker, requestFraming } from "../proxy/framing.ts";
import { MAX_HEAD_BYTES, parseRequestHead, type RequestHead } from "../proxy/head.ts";

export type HeadRead =
  | { kind: "incomplete" }
  | { kind: "invalid"; status: number; reason: string }
  | { kind: "head"; head: RequestHead; headBytes: Uint8Array; body: BodyTracker };

export type BodyRead = { kind: "ok"; bytes: Uint8Array; payload: Uint8Array[] } | { kind: "invalid"; reason: string };

const EMPTY = new Uint8Array(0);

export class RequestReader {
  private buf: Uint8Array = EMPTY;

  /** `cap`: bytes held ahead of the exchange that can take them before the client should be paused. */
  constructor(private readonly cap: number) {}

  get buffered(): number {
    return this.buf.length;
  }

  get full(): boolean {
    return this.buf.length > this.cap;
  }

  push(bytes: Uint8Array): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, bytes]) : bytes;
  }

  /** The next request head, taken out of the buffer when complete and valid. */
  head(): HeadRead {
    const parsed = parseRequestHead(this.buf, MAX_HEAD_BYTES);
    if (parsed.kind !== "ok") return parsed;
    const framing = requestFraming(parsed.head.headers);
    if (!framing.ok) return { kind: "invalid", status: 400, reason: framing.reason };
    const headBytes = Buffer.from(this.buf.subarray(0, parsed.length));
    this.buf = this.buf.subarray(parsed.length);
    return { kind: "head", head: parsed.head, headBytes, body: new BodyTracker(framing.framing) };
  }

  /** The body bytes of the current request that are here, taken out of the buffer. */
  body(tracker: BodyTracker): BodyRead {
    if (tracker.done || this.buf.length === 0) return { kind: "ok", bytes: EMPTY, payload: [] };
    const r = tracker.feed(this.buf);
    if (r.kind === "invalid") return r;
    const bytes = this.buf.subarray(0, r.consumed);
    this.buf = this.buf.subarray(r.consumed);
    return { kind: "ok", bytes, payload: r.payload };
  }

  /** Everything held, for a raw relay after a switch of protocols; the reader is empty after. */
  take(): Uint8Array {
    const all = this.buf;
    this.buf = EMPTY;
    return all;
  }
}
