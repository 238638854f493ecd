// The limits as a person asks about them: per provider and account, each window's latest word,
// and at the recent pace when it fills. One builder for `limits`, /v1/limits, the dashboard,
// the statusline and the budgets, so they never disagree.

import type { StoredWindow } from "../store/limits.ts";
import type { LimitKind } from "./types.ts";
import { paceOf } from "./pace.ts";

export interface WindowView {
  window: string;
  kind: LimitKind;
  /** The latest known fraction used; 0 once the latest sample's reset has passed. */
  utilization: number | null;
  status: string | null;
  /** Epoch ms; null when not reported or passed. */
  resetsAt: number | null;
  /** The reset the provider last reported has passed: the window started afresh since. */
  resetSinceSeen: boolean;
  observedAt: number;
  limit: number | null;
  remaining: number | null;
  windowMinutes: number | null;
  extra: Record<string, string>;
  /** Fraction gained per hour over the lookback, in the current window; null with too few samples. */
  burnPerHour: number | null;
  /** When it reaches 100% at that pace (epoch ms), and whether that comes before the reset. */
  fullAt: number | null;
  fullBeforeReset: boolean | null;
  /** The samples of the lookback, oldest first, for a chart. */
  history: Array<{ at: number; utilization: number | null }>;
}

export interface AccountView {
  provider: string;
  /** The salted fingerprint ('' when requests carried no credential we read). */
  account: string;
  lastSeen: number;
  windows: WindowView[];
}

export interface ViewOptions {
  /** How far back the burn rate looks. Default 60 min. */
  lookbackMs: number;
}

export const DEFAULT_LOOKBACK_MS = 60 * 60_000;
/** Windows not heard of for this long are history, not news (unless their reset is still ahead). */
export const STALE_MS = 8 * 24 * 3_600_000;

/** The order windows read in: overall verdicts and the long windows people plan by first. */
const ORDER = ["unified", "5h", "7d", "7d_oi", "7d_opus", "7d_sonnet", "overage", "primary", "secondary", "credits", "requests", "tokens", "input-tokens", "output-tokens", "retry-after"];
const rank = (w: string) => {
  const base = w.includes("/") ? w.slice(w.lastIndexOf("/") + 1) : w;
  const i = ORDER.indexOf(base);
  return (i === -1 ? ORDER.length : i) + (w.includes("/") ? 0.5 : 0);
};

export function windowView(w: StoredWindow, nowMs: number, opts: ViewOptions): WindowView {
  const samples = w.recent.length > 0 ? w.recent : [w.latest];
  const pace = paceOf(
    samples.map((s) => ({ at: s.observedAt, utilization: s.utilization, resetsAt: s.resetsAt, status: s.status })),
    nowMs,
    { lookbackMs: opts.lookbackMs },
  );
  const l = w.latest;
  return {
    window: w.window,
    kind: w.kind,
    utilization: pace?.utilization ?? l.utilization,
    status: pace?.resetSinceSeen ? null : l.status,
    resetsAt: pace ? pace.resetsAt : l.resetsAt,
    resetSinceSeen: pace?.resetSinceSeen ?? false,
    observedAt: l.observedAt,
    limit: l.limit,
    remaining: pace?.resetSinceSeen ? null : l.remaining,
    windowMinutes: l.windowMinutes,
    extra: l.extra ?? {},
    burnPerHour: pace?.burnPerHour ?? null,
    fullAt: pace?.fullAt ?? null,
    fullBeforeReset: pace?.fullBeforeReset ?? null,
    history: w.recent.map((s) => ({ at: s.observedAt, utilization: s.utilization })),
  };
}

/**
 * Accounts newest first, their windows in reading order. A window goes when it is stale, and a
 * Retry-After once its time has passed (it says nothing after that).
 */
export function limitsView(windows: readonly StoredWindow[], nowMs: number, opts: ViewOptions = { lookbackMs: DEFAULT_LOOKBACK_MS }): AccountView[] {
  const accounts = new Map<string, AccountView>();
  for (const w of windows) {
    const v = windowView(w, nowMs, opts);
    const live = v.resetsAt !== null && v.resetsAt > nowMs;
    if (!live && nowMs - v.observedAt > STALE_MS) continue;
    if (w.window === "retry-after" && !live) continue;
    const key = `${w.provider}\u0000${w.account}`;
    const a = accounts.get(key) ?? { provider: w.provider, account: w.account, lastSeen: 0, windows: [] };
    a.lastSeen = Math.max(a.lastSeen, v.observedAt);
    a.windows.push(v);
    accounts.set(key, a);
  }
  const out = [...accounts.values()];
  for (const a of out) a.windows.sort((x, y) => rank(x.window) - rank(y.window) || x.window.localeCompare(y.window));
  return out.sort((x, y) => y.lastSeen - x.lastSeen);
}
