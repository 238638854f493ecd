// The adapters' internal contract (a provider's endpoints, the reader of one response, what it
// accumulates) and small helpers to read untrusted JSON.

import { ZERO_TOKENS, type ProviderId, type TokenCounts } from "../usage/types.ts";
import type { PickSpec } from "./_json-stream.ts";

/** Mutable usage gathered from one response. */
export interface Tally {
  /** The model as the response names it. */
  model: string | null;
  tokens: TokenCounts;
  /** The provider's final usage report was seen. */
  final: boolean;
  /** An error reported inside a successful response (an SSE `error` event, a failed response). */
  errorType: string | null;
  notes: string[];
  /** Usage fields that were present but not a token count ("12", -7, 1e308): the row is incomplete. */
  badCounts: Set<string>;
}

export function newTally(): Tally {
  return {
    model: null,
    tokens: { ...ZERO_TOKENS },
    final: false,
    errorType: null,
    notes: [],
    badCounts: new Set(),
  };
}

/** What the request body said, picked by the observer. */
export interface RequestFacts {
  /** The picked request body (spec `REQUEST_SPEC`), or undefined when unreadable. */
  body: Record<string, unknown> | undefined;
  model: string | null;
  stream: boolean;
}

export const REQUEST_SPEC: PickSpec = { model: true, stream: true, stream_options: true };

/** Turns response payloads into a tally. One reader per exchange. */
export interface PayloadReader {
  /** The paths worth keeping from a non-SSE JSON body. */
  readonly spec: PickSpec;
  /** "array": elements of a root array arrive one by one; "lines": JSON lines do. */
  readonly items?: "array" | "lines";
  /** SSE event names worth parsing; other named events are skipped unread (unnamed ones never are). */
  readonly sseEvents?: ReadonlySet<string>;
  /** One parsed payload: an SSE event's data, one streamed item, or the picked JSON body. */
  payload(value: unknown, event: string | null): void;
  /** An SSE `data: [DONE]` sentinel. */
  done?(): void;
  /** Last look, once, before the result is built. */
  finish?(request: RequestFacts, stream: boolean): void;
}

/** One endpoint of one provider, as matched from method and path. */
export interface Endpoint {
  provider: ProviderId;
  name: string;
  metered: boolean;
  billing?: "batch" | "standard";
  /** The path says this is a streaming call (streamGenerateContent). */
  streamPath?: boolean;
  /** The model named in the URL (Google), used when the response does not name one. */
  urlModel?: string | null;
  /** Picks from the request body; REQUEST_SPEC when absent. */
  requestSpec?: PickSpec;
  /** Reads a successful response. Absent: the body is not read (unmetered endpoints). */
  reader?: (tally: Tally) => PayloadReader;
  /** Reads an error body (already picked with ERROR_SPEC). */
  errorOf: (body: unknown) => ErrorInfo | null;
}

/** One provider: its hosts and the endpoints it meters. */
export interface ProviderAdapter {
  readonly provider: ProviderId;
  /** Lower-case host names, without port. */
  readonly hosts: readonly string[];
  /** The endpoint for a method and request target; null for paths that are not metered. */
  match(method: string, target: string): Endpoint | null;
}

export interface ErrorInfo {
  type: string | null;
  message: string | null;
}

/** What error bodies are picked for, for every provider: `{error: ...}`, `{type, error}`, `[{error}]`. */
export const ERROR_SPEC: PickSpec = { type: true, error: true, code: true, message: true, "[]": { error: true } };

/** For paths no adapter knows: whatever error shape the body has. */
export function anyError(body: unknown): ErrorInfo | null {
  const error = field(Array.isArray(body) ? body[0] : body, "error");
  if (!isObject(error)) return null;
  const type = text(error.type) ?? text(error.status) ?? text(error.code);
  return { type, message: text(error.message) };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function field(v: unknown, key: string): unknown {
  return isObject(v) ? v[key] : undefined;
}

/**
 * A token count: a non-negative number, rounded, small enough to be stored exactly (SQLite refuses
 * 1e308 in an INTEGER column, and the row would be lost); anything else is undefined.
 */
export function count(v: unknown): number | undefined {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) return undefined;
  const n = Math.round(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `count`, remembering in `bad` the name of a field that is there but is not a count. */
export function countField(v: unknown, name: string, bad: Set<string>): number | undefined {
  const n = count(v);
  if (n === undefined && v !== undefined && v !== null) bad.add(name);
  return n;
}

export function text(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v : null;
}

/** "8 MiB", "400 bytes": sizes in notes. */
export function formatBytes(n: number): string {
  return n >= 1048576 ? `${Math.round((n / 1048576) * 10) / 10} MiB` : `${n} bytes`;
}

export function shorten(s: string, max = 200): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** "overloaded_error: Overloaded" style note for an error seen inside a response. */
export function errorNote(where: string, info: ErrorInfo): string {
  const what = info.type ?? "error";
  return info.message ? `${where}: ${what}: ${shorten(info.message)}` : `${where}: ${what}`;
}
