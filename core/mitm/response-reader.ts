// The upstream's side of one exchange, read as it arrives: interim heads (100 Continue), the
// final head, the body it frames, or a switch of protocols. Pure: each feed says what goes to
// the client and what the row learns; the exchange machine turns that into commands.

import type { RawHeaders } from "../http/types.ts";
import { BodyTracker, keepsAlive, responseFraming } from "../proxy/framing.ts";
import { parseResponseHead } from "../proxy/head.ts";

/** How the response ended, if it did in this feed. */
export type ResponseEnd =
  | { kind: "done" }
  | { kind: "invalid"; error: string }
  /** 101: `headers` say what was switched to; `rest` is what the upstream sent after the head, already in the new protocol. */
  | { kind: "switched"; headers: RawHeaders; rest: Uint8Array };

export interface ResponseRead {
  /** A head (interim or final) arrived: the response has begun. */
  firstByte: boolean;
  /** For the client, in order, each one write: interim heads, then the final head with the body bytes that came with it. */
  toClient: Uint8Array[];
  /** The row's status alone, with no head for the observer: a 101, or a final head whose first body bytes are invalid. */
  status: number | null;
  /** The final head, when this feed completed it. */
  head: { status: number; headers: RawHeaders; headBytes: Uint8Array } | null;
  payload: Uint8Array[];
  end: ResponseEnd | null;
}

const EMPTY = new Uint8Array(0);

export class ResponseReader {
  private pending: Uint8Array = EMPTY;
  private body: BodyTracker | null = null;
  /** The upstream connection can carry another exchange once this response is done. */
  keepAlive = false;

  constructor(private readonly method: string) {}

  /** The final head is in. */
  get headRead(): boolean {
    return this.body !== null;
  }

  /** The body runs until the upstream closes, so a close is its end, not a fault. */
  get endsAtClose(): boolean {
    return this.body?.framing.kind === "close";
  }

  feed(bytes: Uint8Array): ResponseRead {
    const read: ResponseRead = { firstByte: false, toClient: [], status: null, head: null, payload: [], end: null };
    if (this.body) this.readBody(read, this.body, bytes, 0, bytes);
    else this.readHead(read, this.pending.length ? Buffer.concat([this.pending, bytes]) : bytes);
    return read;
  }

  private readHead(read: ResponseRead, buf: Uint8Array): void {
    const parsed = parseResponseHead(buf);
    if (parsed.kind === "incomplete") return void (this.pending = buf);
    this.pending = EMPTY;
    if (parsed.kind === "invalid") return void (read.end = { kind: "invalid", error: parsed.reason });
    read.firstByte = true;
    const { status, headers, version } = parsed.head;
    const headBytes = buf.subarray(0, parsed.length);
    const rest = buf.subarray(parsed.length);
    if (status === 101) {
      read.toClient.push(headBytes);
      read.status = 101;
      return void (read.end = { kind: "switched", headers, rest });
    }
    if (status >= 100 && status < 200) {
      read.toClient.push(headBytes);
      return this.readHead(read, rest); // the final head follows
    }
    const framing = responseFraming(this.method, status, headers);
    if (!framing.ok) {
      read.toClient.push(headBytes);
      return void (read.end = { kind: "invalid", error: framing.reason });
    }
    this.body = new BodyTracker(framing.framing);
    this.keepAlive = framing.framing.kind !== "close" && keepsAlive(version, headers);
    read.head = { status, headers, headBytes };
    this.readBody(read, this.body, buf, parsed.length, rest);
  }

  /**
   * `rest` is `buf` from `from` on. The head (when `from` > 0) goes to the client in one write
   * with the body bytes that came with it: one TLS record and one wake-up of the client (and of
   * the edge in between) instead of two.
   */
  private readBody(read: ResponseRead, body: BodyTracker, buf: Uint8Array, from: number, rest: Uint8Array): void {
    const r = body.feed(rest);
    if (r.kind === "invalid") {
      if (from) read.toClient.push(buf.subarray(0, from));
      read.end = { kind: "invalid", error: `upstream body: ${r.reason}` };
      read.status = read.head?.status ?? null;
      read.head = null;
      return;
    }
    if (from + r.consumed) read.toClient.push(buf.subarray(0, from + r.consumed));
    read.payload = r.payload;
    if (r.done) read.end = { kind: "done" };
  }
}
