// What the exchange machine hears and what it asks for. The machine (exchange.ts) is pure: the
// session (session.ts) turns socket callbacks, timers and pool answers into these events and
// carries the commands out, in order.

import type { RawHeaders } from "../http/types.ts";
import type { RequestHead } from "../proxy/head.ts";

export type Side = "client" | "upstream";

/** The machine's named timers: one for the wait between requests, one for a shutdown's grace. */
export type TimerName = "request" | "grace";

export type ExchangeEvent =
  | { kind: "data"; side: Side; bytes: Uint8Array }
  /** The peer half-closed (FIN). */
  | { kind: "end"; side: Side }
  /** The socket is gone: closed by the peer, reset, or ended by us. */
  | { kind: "close"; side: Side }
  /** A send to that side had to queue: its writer is backed up. */
  | { kind: "backed-up"; side: Side }
  /** That side's write queue is empty again. */
  | { kind: "drained"; side: Side }
  /** The pool's answer to `acquire` for exchange `n`. */
  | { kind: "upstream-ready"; n: number }
  /** `tls`: the dial failed in the TLS handshake (logged as a TLS failure, the upstream's side). */
  | { kind: "upstream-failed"; n: number; failure: string; reason: string; tls: boolean }
  | { kind: "timer"; name: TimerName }
  /** Shutting down: no new request after the current one; a connection yet to send its first has `graceMs`. */
  | { kind: "shutdown"; graceMs: number };

export type ExchangeCommand =
  | { do: "send"; to: Side; bytes: Uint8Array }
  | { do: "pause"; side: Side }
  | { do: "resume"; side: Side }
  /** Take an upstream connection for exchange `n` (from the pool, or a new dial). */
  | { do: "acquire"; n: number }
  /** Give the upstream back to the pool for another exchange. */
  | { do: "release" }
  /** Close the upstream: it cannot carry another exchange. */
  | { do: "discard" }
  /** (Re)arm a named timer; a later `set-timer` of the same name replaces it. */
  | { do: "set-timer"; name: TimerName; ms: number }
  | { do: "clear-timer"; name: TimerName }
  /** Hand both sockets to a raw relay, with the bytes each side had sent that were not relayed yet. */
  | { do: "splice"; toClient: Uint8Array; toUpstream: Uint8Array }
  /** End the client connection once everything sent to it is out. The machine is done. */
  | { do: "end-client" }
  | { do: "log"; event: string; fields: Record<string, unknown>; level?: "info" | "warn" }
  | RecordCommand;

/** What the exchange's row is built from; the shell keeps the record, the clock and the observer. */
export type RecordCommand =
  | { do: "begin"; n: number; head: RequestHead; headBytes: Uint8Array }
  /** The canary: answered here with `status`, never sent upstream. */
  | { do: "self-test"; n: number; head: RequestHead; status: number }
  | { do: "first-byte" }
  | { do: "request-body"; payload: Uint8Array[] }
  /** The final response head (not 1xx): the row's status, and the observer's. */
  | { do: "response-head"; status: number; headers: RawHeaders; headBytes: Uint8Array }
  | { do: "response-body"; payload: Uint8Array[] }
  /** The row's status alone, the observer left out: a switch of protocols (101), or a head whose first body bytes are invalid. */
  | { do: "status"; status: number }
  /** The 101's headers: the connection became something else (a WebSocket, with its negotiated extensions). */
  | { do: "upgraded"; headers: RawHeaders }
  /** One response on an upgraded connection (the Responses API over a WebSocket): `request` is its `response.create`. */
  | { do: "begin-turn"; request: Uint8Array }
  /** One event of that response, as the HTTP API would have streamed it. */
  | { do: "turn-event"; event: Uint8Array }
  /** Codex's in-stream snapshot of the account's limits, kept with the next row finished. */
  | { do: "rate-limits"; snapshot: Record<string, unknown> }
  | { do: "finish"; complete: boolean; error: string | null };

export interface ExchangeConfig {
  /** The intercepted host, for the answers we give ourselves. */
  host: string;
  /** A request head (the first one counted from the handshake) must be complete within this. */
  headTimeoutMs: number;
  /** A keep-alive connection idle between requests is closed after this. */
  idleTimeoutMs: number;
  /** Client bytes read ahead of the exchange that can take them; beyond it the client is paused. */
  inbufCap: number;
}
