// The limits report from the store: what `limits`, /v1/limits and the dashboard show.

import { accountLastUse, limitWindows, type Store } from "../store/index.ts";
import { type AccountView, DEFAULT_LOOKBACK_MS, limitsView, STALE_MS } from "./view.ts";

export interface LimitsAccount extends AccountView {
  /** Who spent it last, to tell accounts apart without naming them. */
  lastClient: string | null;
  lastProject: string | null;
}

/** A budget alert in effect, as core/budgets words it. */
export interface LimitsAlert {
  kind: "spend" | "window";
  severity: "warning" | "exceeded";
  message: string;
}

export interface LimitsReport {
  /** Epoch ms the pace was computed at. */
  at: number;
  lookbackMs: number;
  accounts: LimitsAccount[];
  /** The `[budgets]` alerts in effect (core/budgets fills them in). */
  alerts: LimitsAlert[];
}

export interface LimitsQuery {
  provider?: string;
  lookbackMs?: number;
}

export function limitsReport(store: Store, nowMs: number, q: LimitsQuery = {}): LimitsReport {
  const lookbackMs = q.lookbackMs ?? DEFAULT_LOOKBACK_MS;
  const windows = limitWindows(store, { since: nowMs - lookbackMs, seenSince: nowMs - STALE_MS, provider: q.provider });
  const accounts = limitsView(windows, nowMs, { lookbackMs }).map((a) => {
    const use = a.account === "" ? null : accountLastUse(store, a.account);
    return { ...a, lastClient: use?.client ?? null, lastProject: use?.project ?? null };
  });
  return { at: nowMs, lookbackMs, accounts, alerts: [] };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The report for scripts and the API: epoch ms as computed, and each time also as ISO 8601. */
export function limitsJson(r: LimitsReport) {
  return {
    at: iso(r.at),
    lookbackMinutes: Math.round(r.lookbackMs / 60_000),
    alerts: r.alerts,
    accounts: r.accounts.map((a) => ({
      ...a,
      lastSeen: iso(a.lastSeen),
      windows: a.windows.map((w) => ({
        ...w,
        resetsAt: iso(w.resetsAt),
        resetsInSeconds: w.resetsAt === null ? null : Math.round((w.resetsAt - r.at) / 1000),
        observedAt: iso(w.observedAt),
        fullAt: iso(w.fullAt),
        history: w.history.map((h) => ({ at: iso(h.at), utilization: h.utilization })),
      })),
    })),
  };
}
