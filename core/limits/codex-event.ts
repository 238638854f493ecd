// Codex's in-stream report of the account's limits: a `codex.rate_limits` message on the Responses
// WebSocket (codex-rs/codex-api/src/endpoint/responses_websocket.rs hands it to
// parse_rate_limit_event in codex-rs/codex-api/src/rate_limits.rs). Its shape there:
//   { type: "codex.rate_limits", plan_type?, metered_limit_name? | limit_name?,
//     rate_limits?: { primary?|secondary?: { used_percent, window_minutes?, reset_at? } },
//     credits?: { has_credits, unlimited, balance? } }
// used_percent is a percent, reset_at Unix seconds; the limit id is metered_limit_name, else
// limit_name, normalised, else "codex". codex-rs rejects the whole event when a field has the
// wrong type; here only that field is lost. Public captures also show `reset_after_seconds` in a
// window, a numeric `balance` and `rate_limits.limit_reached`; those are read too.

import { DEFAULT_LIMIT_ID, creditsObservation, normalizeLimitId, windowObservation, type CodexWindow } from "./_codex.ts";
import { later } from "./_fields.ts";
import type { LimitObservation } from "./types.ts";

type Json = Record<string, unknown>;

const record = (v: unknown): Json | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null);
const finite = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const nonBlank = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

/** The event as its JSON object (as core/providers/responses-ws.ts hands it over); [] for any other. */
export function readCodexRateLimitEvent(event: unknown, atMs: number): LimitObservation[] {
  const e = record(event);
  if (!e || e.type !== "codex.rate_limits") return [];
  const named = nonBlank(e.metered_limit_name) ?? nonBlank(e.limit_name);
  const limitId = named === null ? DEFAULT_LIMIT_ID : normalizeLimitId(named);
  const planType = nonBlank(e.plan_type);
  const account: Record<string, string> = planType === null ? {} : { plan_type: planType };
  const limits = record(e.rate_limits);
  const reached = limits?.limit_reached;
  const windowExtra = typeof reached === "boolean" ? { ...account, limit_reached: String(reached) } : account;
  const out: LimitObservation[] = [];
  for (const slot of ["primary", "secondary"] as const) {
    const w = windowOf(record(limits?.[slot]), atMs);
    if (w) out.push(windowObservation(limitId, slot, w, windowExtra));
  }
  const credits = record(e.credits);
  if (credits && typeof credits.has_credits === "boolean" && typeof credits.unlimited === "boolean") {
    const balance = typeof credits.balance === "string" ? credits.balance : finite(credits.balance)?.toString() ?? null;
    out.push(creditsObservation(credits.has_credits, credits.unlimited, balance, account));
  }
  return out;
}

function windowOf(w: Json | null, atMs: number): CodexWindow | null {
  const usedPercent = finite(w?.used_percent);
  if (!w || usedPercent === null) return null;
  const minutes = finite(w.window_minutes);
  const resetAt = finite(w.reset_at);
  const after = finite(w.reset_after_seconds);
  return {
    usedPercent,
    windowMinutes: minutes !== null && Number.isInteger(minutes) ? minutes : null,
    resetsAt: resetAt !== null && resetAt >= 0 && resetAt * 1000 <= Number.MAX_SAFE_INTEGER ? Math.round(resetAt * 1000) : later(atMs, after !== null && after >= 0 ? after * 1000 : null),
  };
}
