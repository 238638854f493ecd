// What a WebSocket reader reports about one direction of an upgraded connection. A leaf: it
// imports nothing.

export type Direction = "client" | "server";

export type DataOpcode = "text" | "binary";

/** Why a whole message was reported without its data. */
export type SkipReason =
  /** Its payload, or what it inflated to, passed `maxMessageBytes`. */
  | "too-large"
  /** Compressed with context takeover after an earlier message of this direction was not inflated. */
  | "lost-context"
  /** Its compressed payload is not valid DEFLATE data (or needs a window it was not given). */
  | "inflate-failed";

export type WsEvent =
  /** A whole message, unmasked and inflated. Text is not checked for UTF-8: callers decode. */
  | { kind: "message"; opcode: DataOpcode; data: Uint8Array }
  | { kind: "ping" | "pong"; data: Uint8Array }
  /** A close frame; `code` and `reason` only when its payload carried them. Nothing after it is read. */
  | { kind: "close"; code?: number; reason?: string }
  /** `bytes`: the message's payload bytes on the wire (compressed, when it was). */
  | { kind: "skipped"; reason: SkipReason; opcode: DataOpcode; bytes: number }
  /** The stream broke RFC 6455 or RFC 7692; nothing after it is read. */
  | { kind: "invalid"; reason: string }
  /** The stream ended inside a frame or a fragmented message. */
  | { kind: "truncated" };

/** "closed": a close frame was read, or `end()` was called; "invalid": the stream broke the RFCs. */
export type ReaderState = "open" | "closed" | "invalid";
