// Reading one limit header's value. Every reader answers null for a value it cannot read, so a
// malformed field costs that field alone, never the observation or the exchange.

import { headerValue } from "../http/headers.ts";
import type { RawHeaders } from "../http/types.ts";

/** Header pairs that are really pairs of strings; anything else is dropped here, once. */
export function wellFormed(headers: unknown): RawHeaders {
  if (!Array.isArray(headers)) return [];
  // As parsed they all are: then the array itself, not a copy of it.
  return headers.every(isPair) ? (headers as RawHeaders) : headers.filter(isPair);
}

function isPair(h: unknown): h is readonly [string, string] {
  return Array.isArray(h) && typeof h[0] === "string" && typeof h[1] === "string";
}

/** Distinct lower-cased field names starting with `prefix`, in the order they first appear. */
export function namesWithPrefix(headers: RawHeaders, prefix: string): string[] {
  const seen = new Set<string>();
  for (const [name] of headers) {
    // Shorter than the prefix, a name cannot start with it (U+0130 aside, whose lower case is longer).
    if (name.length < prefix.length && !name.includes("\u0130")) continue;
    const lower = name.toLowerCase();
    if (lower.startsWith(prefix)) seen.add(lower);
  }
  return [...seen];
}

/** The field's trimmed value; null when absent or blank. */
export function text(headers: RawHeaders, name: string): string | null {
  const value = headerValue(headers, name)?.trim();
  return value ? value : null;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function decimal(value: string | null): number | null {
  if (value === null || !DECIMAL.test(value)) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** Counts, fractions and epoch times: a negative one (Azure's -1 "unknown") reads as not said. */
export function nonNegative(value: string | null): number | null {
  const n = decimal(value);
  return n !== null && n >= 0 ? n : null;
}

export function integer(value: string | null): number | null {
  if (value === null || !/^[+-]?\d+$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/** Unix seconds (Anthropic's unified resets, Codex's reset_at) as epoch ms. */
export function epochSecondsMs(value: string | null): number | null {
  const s = nonNegative(value);
  return s !== null && s * 1000 <= Number.MAX_SAFE_INTEGER ? Math.round(s * 1000) : null;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** "2025-08-21T12:40:59Z" (RFC 3339, the `t`/`z` and space separator it allows too) as epoch ms. */
export function rfc3339Ms(value: string | null): number | null {
  if (value === null) return null;
  const s = value.toUpperCase().replace(" ", "T");
  if (!RFC3339.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : null;
}

const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|μs|ns|h|m|s)/y;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ns: 1e-6 };

/** A Go duration as OpenAI sends resets: "6m0s", "1s", "20ms", "1h2m3.5s"; "0" alone is zero. */
export function goDurationMs(value: string | null): number | null {
  if (value === null) return null;
  if (value === "0") return 0;
  let ms = 0;
  for (let at = 0; at < value.length; at = DURATION_PART.lastIndex) {
    DURATION_PART.lastIndex = at;
    const m = DURATION_PART.exec(value);
    if (!m) return null;
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return value.length > 0 && Number.isFinite(ms) ? ms : null;
}

/** Codex's booleans: "true"/"1" and "false"/"0", the words in any case (codex-rs parse_header_bool). */
export function flag(value: string | null): boolean | null {
  const v = value?.toLowerCase();
  return v === "true" || v === "1" ? true : v === "false" || v === "0" ? false : null;
}

const EXTRA_MAX = 200;

/** A value kept as sent, capped so a hostile header cannot bloat a row. */
export function small(value: string): string {
  return value.length > EXTRA_MAX ? value.slice(0, EXTRA_MAX) : value;
}

/** 1 - remaining/limit, within 0..1; null unless both are known and the limit is positive. */
export function usedFraction(limit: number | null, remaining: number | null): number | null {
  if (limit === null || remaining === null || limit <= 0) return null;
  return Math.min(1, Math.max(0, 1 - remaining / limit));
}

/** A relative reset made absolute; null when either part is not a finite number. */
export function later(atMs: number, ms: number | null): number | null {
  if (ms === null || !Number.isFinite(atMs)) return null;
  const at = Math.round(atMs + ms);
  return Number.isFinite(at) ? at : null;
}
