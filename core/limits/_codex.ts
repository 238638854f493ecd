// The observation shapes Codex's two reports share: response headers (codex.ts) and the in-stream
// `codex.rate_limits` event (codex-event.ts) carry the same windows and credits, as codex-rs maps
// both into one RateLimitSnapshot (codex-rs/codex-api/src/rate_limits.rs).

import { small } from "./_fields.ts";
import type { LimitObservation } from "./types.ts";

export const DEFAULT_LIMIT_ID = "codex";

/** codex-rs normalize_limit_id: trimmed, lower-cased, "-" as "_" ("codex-secondary" is "codex_secondary"). */
export function normalizeLimitId(name: string): string {
  return name.trim().toLowerCase().replaceAll("-", "_");
}

export interface CodexWindow {
  usedPercent: number;
  windowMinutes: number | null;
  resetsAt: number | null;
}

/** "primary"/"secondary" for the default limit, "<limit_id>/primary" for any other metered limit. */
export function windowObservation(limitId: string, slot: "primary" | "secondary", w: CodexWindow, extra: Record<string, string>): LimitObservation {
  return {
    provider: "chatgpt",
    window: limitId === DEFAULT_LIMIT_ID ? slot : `${limitId}/${slot}`,
    kind: "subscription",
    utilization: w.usedPercent >= 0 ? w.usedPercent / 100 : null,
    limit: null,
    remaining: null,
    resetsAt: w.resetsAt,
    windowMinutes: w.windowMinutes,
    status: null,
    extra: kept({ limit_id: limitId, ...extra }),
  };
}

/** The account's credits: the balance, when it is a number, as what remains. */
export function creditsObservation(hasCredits: boolean, unlimited: boolean, balance: string | null, extra: Record<string, string>): LimitObservation {
  const n = balance !== null && /^\d+(?:\.\d+)?$/.test(balance.trim()) ? Number(balance.trim()) : null;
  return {
    provider: "chatgpt",
    window: "credits",
    kind: "subscription",
    utilization: null,
    limit: null,
    remaining: n,
    resetsAt: null,
    windowMinutes: null,
    status: null,
    extra: kept({ has_credits: String(hasCredits), unlimited: String(unlimited), ...(balance === null ? {} : { balance }), ...extra }),
  };
}

function kept(extra: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, small(v)]));
}
