// The API-key limit families Anthropic and OpenAI share in shape: per window a limit, a remaining
// count and a reset, the window named inside the header name. Plus Retry-After, which both SDKs
// honour. Windows the code does not know are kept under the name the header gives them.

import type { RawHeaders } from "../http/types.ts";
import type { ProviderId } from "../usage/types.ts";
import { decimal, later, namesWithPrefix, nonNegative, text, usedFraction } from "./_fields.ts";
import type { LimitObservation } from "./types.ts";

export type CounterField = "limit" | "remaining" | "reset";

export interface CounterFamily {
  prefix: string;
  /** The window and field a header of this family names, or null for one it does not own. */
  split(name: string): { window: string; field: CounterField } | null;
  /** The reset as epoch ms, given the response time. */
  reset(value: string | null, atMs: number): number | null;
}

export function readCounters(provider: ProviderId, family: CounterFamily, headers: RawHeaders, atMs: number): LimitObservation[] {
  const windows = new Map<string, Partial<Record<CounterField, string>>>();
  for (const name of namesWithPrefix(headers, family.prefix)) {
    const part = family.split(name);
    if (!part) continue;
    const fields = windows.get(part.window) ?? {};
    fields[part.field] = name;
    windows.set(part.window, fields);
  }
  return [...windows].map(([window, names]) => {
    const limit = names.limit ? nonNegative(text(headers, names.limit)) : null;
    const remaining = names.remaining ? nonNegative(text(headers, names.remaining)) : null;
    return {
      provider,
      window,
      kind: "rate-limit",
      utilization: usedFraction(limit, remaining),
      limit,
      remaining,
      resetsAt: names.reset ? family.reset(text(headers, names.reset), atMs) : null,
      windowMinutes: null,
      status: null,
    };
  });
}

// RFC 9110 10.2.3: delay-seconds or an HTTP-date; only the IMF-fixdate form is read as a date.
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * `retry-after-ms` (milliseconds, which both SDKs read first), else `retry-after` (seconds or a
 * date), as a "retry-after" observation whose reset is when a retry may succeed.
 */
export function readRetryAfter(provider: ProviderId, headers: RawHeaders, atMs: number): LimitObservation[] {
  const ms = nonNegative(text(headers, "retry-after-ms"));
  const raw = text(headers, "retry-after");
  const seconds = nonNegative(raw);
  const date = raw !== null && decimal(raw) === null && IMF_FIXDATE.test(raw) ? Date.parse(raw) : NaN;
  const resetsAt = ms !== null ? later(atMs, ms) : seconds !== null ? later(atMs, seconds * 1000) : Number.isFinite(date) ? date : null;
  if (resetsAt === null) return [];
  return [{ provider, window: "retry-after", kind: "rate-limit", utilization: null, limit: null, remaining: null, resetsAt, windowMinutes: null, status: null }];
}
