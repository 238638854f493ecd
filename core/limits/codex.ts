// Codex's limits on chatgpt.com as response headers, read the way codex-rs reads them
// (codex-rs/codex-api/src/rate_limits.rs: parse_rate_limit_updates, parse_rate_limit_for_limit,
// parse_rate_limit_window, parse_credits_snapshot):
//   x-<limit>-{primary,secondary}-used-percent   percent used, a float ("12.5")
//   x-<limit>-{primary,secondary}-window-minutes the window's length, an integer ("300", "10080")
//   x-<limit>-{primary,secondary}-reset-at       Unix seconds, an integer ("1704069000")
//   x-<limit>-limit-name                         the metered limit's display name
//   x-codex-credits-{has-credits,unlimited}      "true"/"false"/"1"/"0" (both needed), -balance a string
// <limit> is "codex" for the default limit and e.g. "codex-secondary" or "codex-bengalfox" for
// other metered limits, so `x-codex-secondary-primary-used-percent` is the primary window of limit
// "codex_secondary", not the secondary window of "codex". A window without a parsable used-percent
// is no window, and a 0% one with no length and no reset carries no data (codex-rs has_data).
// Not read by codex-rs but sent by the server in public captures, and kept:
// `x-<limit>-{primary,secondary}-reset-after-seconds` (a reset when reset-at is missing), and
// `x-codex-plan-type`, `x-codex-active-limit`, `x-codex-rate-limit-reached-type` as extras.

import type { RawHeaders } from "../http/types.ts";
import { readRetryAfter } from "./_counters.ts";
import { decimal, flag, integer, later, namesWithPrefix, nonNegative, text, wellFormed } from "./_fields.ts";
import { creditsObservation, normalizeLimitId, windowObservation, type CodexWindow } from "./_codex.ts";
import type { LimitObservation } from "./types.ts";

const USED = /^x-(.+)-(?:primary|secondary)-used-percent$/;
const ACCOUNT_EXTRAS: ReadonlyArray<readonly [header: string, key: string]> = [
  ["x-codex-plan-type", "plan_type"],
  ["x-codex-active-limit", "active_limit"],
  ["x-codex-rate-limit-reached-type", "rate_limit_reached_type"],
];

export function readCodexLimits(raw: RawHeaders, atMs: number): LimitObservation[] {
  const headers = wellFormed(raw);
  const account: Record<string, string> = {};
  for (const [header, key] of ACCOUNT_EXTRAS) {
    const value = text(headers, header);
    if (value !== null) account[key] = value;
  }
  const families = new Set<string>();
  for (const name of namesWithPrefix(headers, "x-")) {
    const m = USED.exec(name);
    if (m) families.add(m[1]!);
  }
  const out: LimitObservation[] = [];
  for (const family of families) {
    const limitId = normalizeLimitId(family);
    const limitName = text(headers, `x-${family}-limit-name`);
    const extra = { ...account, ...(limitName === null ? {} : { limit_name: limitName }) };
    for (const slot of ["primary", "secondary"] as const) {
      const w = windowOf(headers, `x-${family}-${slot}`, atMs);
      if (w) out.push(windowObservation(limitId, slot, w, extra));
    }
  }
  const hasCredits = flag(text(headers, "x-codex-credits-has-credits"));
  const unlimited = flag(text(headers, "x-codex-credits-unlimited"));
  if (hasCredits !== null && unlimited !== null) out.push(creditsObservation(hasCredits, unlimited, text(headers, "x-codex-credits-balance"), account));
  return [...out, ...readRetryAfter("chatgpt", headers, atMs)];
}

function windowOf(headers: RawHeaders, prefix: string, atMs: number): CodexWindow | null {
  const usedPercent = decimal(text(headers, `${prefix}-used-percent`));
  if (usedPercent === null) return null;
  const windowMinutes = integer(text(headers, `${prefix}-window-minutes`));
  const resetAt = integer(text(headers, `${prefix}-reset-at`));
  const after = nonNegative(text(headers, `${prefix}-reset-after-seconds`));
  const resetsAt = resetAt !== null && resetAt >= 0 && Number.isSafeInteger(resetAt * 1000) ? resetAt * 1000 : later(atMs, after === null ? null : after * 1000);
  const hasData = usedPercent !== 0 || (windowMinutes !== null && windowMinutes !== 0) || resetsAt !== null;
  return hasData ? { usedPercent, windowMinutes, resetsAt } : null;
}
