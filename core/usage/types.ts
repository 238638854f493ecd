// The contract between the MITM core (which sees bytes), the provider adapters (which turn
// bytes into usage), pricing (which turns usage into money) and the store (which keeps it).
// A leaf but for the HTTP head types it reads.

import type { RawHeaders, ResponseHead } from "../http/types.ts";

/** Token counts by kind. Every field is a count of tokens, never money. */
export interface TokenCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  /** Reasoning / thinking tokens. Reported for information: providers already bill them as output. */
  reasoning: number;
}

export const ZERO_TOKENS: Readonly<TokenCounts> = Object.freeze({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  reasoning: 0,
});

export type ProviderId = "anthropic" | "openai" | "chatgpt" | "google" | "google-cloudcode" | "xai";

/** The provider and client of the lifecycle self-test's canary rows: reports leave them out by default. */
export const SELF_TEST_PROVIDER = "halton-meter";

/** What an adapter concluded about one exchange. */
export interface UsageResult {
  provider: ProviderId;
  /** A short stable endpoint name: "messages", "chat.completions", "responses", "generateContent"... */
  endpoint: string;
  /** The model as the response names it (the request's as a fallback); null when neither says. */
  model: string | null;
  /** True when this endpoint bills tokens; false for unknown paths, which are only observed. */
  metered: boolean;
  stream: boolean;
  tokens: TokenCounts;
  /** False when the response ended before the provider's final usage report. */
  tokensComplete: boolean;
  /** Provider's error type for error responses ("overloaded_error", "rate_limit_exceeded"...). */
  errorType: string | null;
  /** Anything worth a human's eye: why tokens are incomplete, what could not be parsed. */
  note: string | null;
  /** A billing hint for prices that depend on more than the model (e.g. "batch" = batch API). */
  billing?: "batch" | "standard";
}

/**
 * Receives a copy of one exchange's bytes. Implementations must tolerate any input: the MITM core
 * calls them inside try/catch and never lets them touch the client's bytes, but an adapter that
 * throws loses its own row's detail.
 */
export interface ExchangeObserver {
  onRequestBody(chunk: Uint8Array): void;
  onResponseHead(head: ResponseHead): void;
  onResponseBody(chunk: Uint8Array): void;
  /** complete = the response body was fully framed (not cut by a reset or a crash). */
  finish(complete: boolean): UsageResult;
}

/** A request and response kept as text (secrets redacted), when body capture is on. */
export interface CapturedBodies {
  request: string;
  /** Null when no response head arrived. */
  response: string | null;
}

/** One finished exchange as the MITM core saw it: what a store row is made from. */
export interface ExchangeRecord {
  exchangeId: string;
  host: string;
  method: string;
  target: string;
  requestHeaders: RawHeaders;
  startedAt: number;
  firstByteAt: number | null;
  endedAt: number;
  status: number | null;
  /** The response body was framed to its end. */
  complete: boolean;
  usage: UsageResult | null;
  error: string | null;
  /** Request and response text, when body capture is on for this connection. */
  bodies: CapturedBodies | null;
  /** The self-test canary, answered by the daemon itself (see self-test.ts). */
  selfTest?: boolean;
  /** The response head's headers (a 101's for a WebSocket handshake): where providers report limits. */
  responseHeaders?: RawHeaders;
  /** The provider's own report of the account's limits that came with this exchange (Codex's `codex.rate_limits` event). */
  rateLimits?: Record<string, unknown>;
  /** When that report arrived (epoch ms). */
  rateLimitsAt?: number;
}

// What a provider said about an account's limits in one response: one observation per window
// (core/limits reads them, core/store keeps them).
export type LimitKind = "rate-limit" | "subscription";

export interface LimitObservation {
  provider: ProviderId;
  /**
   * A stable window name: "requests", "tokens", "input-tokens", "output-tokens" (API-key limits),
   * "5h", "7d", "7d_oi", "overage" (Anthropic subscription claims, as the header names them),
   * "unified" (Anthropic's overall subscription verdict), "primary"/"secondary" (Codex; another
   * metered limit is "<limit_id>/primary"), "credits", "retry-after". Unknown ones keep their own name.
   */
  window: string;
  kind: LimitKind;
  /** Fraction used, 0..1 as providers send it (Anthropic's overage may read a little over 1). */
  utilization: number | null;
  limit: number | null;
  remaining: number | null;
  /** Epoch ms. */
  resetsAt: number | null;
  /** Minutes, only when the provider says (Codex's window_minutes). */
  windowMinutes: number | null;
  /** As sent: Anthropic's "allowed" | "allowed_warning" | "rejected"; null when not said. */
  status: string | null;
  /** Anything else worth keeping, as sent (each value capped in length). */
  extra?: Record<string, string>;
}
