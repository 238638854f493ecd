// What the status line reads from db.sqlite: this session's cost, today's, the Anthropic account's
// 5h and 7d windows and its last hour of spend. Every query is a range on an index
// (requests_session, requests_started_at, limit_samples_window, limit_samples_observed_at), so a
// refresh costs the same on a store of a million rows as on a fresh one
// (tests/statusline/facts.test.ts checks the plans).

import type { Store } from "../store/open.ts";
import { SELF_TEST_PROVIDER } from "../usage/types.ts";
import type { LimitSample } from "../limits/pace.ts";

export const STATUS_WINDOWS = ["5h", "7d"] as const;
export type StatusWindow = (typeof STATUS_WINDOWS)[number];

export interface SessionCost {
  requests: number;
  micros: number;
  unpriced: number;
}

export interface StatusFacts {
  /** Null without a session id; `requests` 0 when the meter has no row for it (yet). */
  session: SessionCost | null;
  /** Since local midnight, every project and provider but the self-test. */
  todayMicros: number;
  /** The Anthropic account the windows and the burn are about: the session's, else the latest seen. */
  account: string | null;
  /** The newest sample and those of the lookback, oldest first; absent when never reported. */
  windows: Partial<Record<StatusWindow, LimitSample[]>>;
  /** The account's (or, none known, all Anthropic) spend over the lookback. */
  lookbackMicros: number;
}

export interface FactsOptions {
  sessionId: string | null;
  nowMs: number;
  /** How far back the burn rate and the windows' pace look. */
  lookbackMs: number;
}

/** The schema step that added requests.account, requests.session and limit_samples. */
const ACCOUNTS_SINCE = 4;
const ANTHROPIC = "anthropic";

export const SQL = {
  // SQLite asks libc for local time; JavaScriptCore's first local-time call loads ICU's zone data,
  // measured at 6 ms of a 30 ms refresh. They agree (tests/statusline/facts.test.ts).
  dayStart: "SELECT unixepoch(? / 1000.0, 'unixepoch', 'localtime', 'start of day', 'utc') * 1000 AS start",
  session: "SELECT COUNT(*) AS n, COALESCE(SUM(cost_micros), 0) AS micros, COALESCE(SUM(price_status = 'unpriced'), 0) AS unpriced FROM requests WHERE session = ?",
  sessionAccount: "SELECT account FROM requests WHERE session = ? AND +provider = ? AND account IS NOT NULL ORDER BY started_at DESC LIMIT 1",
  // `+provider`: not the provider's part of limit_samples_window (every sample of it, then a sort),
  // but limit_samples_observed_at read backwards from the newest.
  latestAccount: "SELECT account FROM limit_samples WHERE +provider = ? ORDER BY observed_at DESC LIMIT 1",
  today: "SELECT COALESCE(SUM(cost_micros), 0) AS micros FROM requests WHERE started_at >= ? AND provider != ?",
  windowLatest: "SELECT observed_at, utilization, resets_at, status FROM limit_samples WHERE provider = ? AND account = ? AND window_name = ? ORDER BY observed_at DESC LIMIT 1",
  windowRecent: "SELECT observed_at, utilization, resets_at, status FROM limit_samples WHERE provider = ? AND account = ? AND window_name = ? AND observed_at >= ? ORDER BY observed_at",
  // `+provider` (here, in sessionAccount and below): the last hour on requests_account or
  // requests_started_at, the session's rows on requests_session, never every row of the
  // provider's on requests_provider.
  spendOfAccount: "SELECT COALESCE(SUM(cost_micros), 0) AS micros FROM requests WHERE started_at >= ? AND +provider = ? AND account = ?",
  spendOfProvider: "SELECT COALESCE(SUM(cost_micros), 0) AS micros FROM requests WHERE started_at >= ? AND +provider = ?",
} as const;

interface SampleRow {
  observed_at: number;
  utilization: number | null;
  resets_at: number | null;
  status: string | null;
}

const toSample = (r: SampleRow): LimitSample => ({ at: r.observed_at, utilization: r.utilization, resetsAt: r.resets_at, status: r.status });

function windowSamples(store: Store, account: string, window: StatusWindow, since: number): LimitSample[] | undefined {
  const recent = store.db.query(SQL.windowRecent).all(ANTHROPIC, account, window, since) as SampleRow[];
  if (recent.length > 0) return recent.map(toSample);
  const latest = store.db.query(SQL.windowLatest).get(ANTHROPIC, account, window) as SampleRow | null;
  return latest ? [toSample(latest)] : undefined;
}

function accountOf(store: Store, sessionId: string | null): string | null {
  if (sessionId !== null) {
    const own = store.db.query(SQL.sessionAccount).get(sessionId, ANTHROPIC) as { account: string } | null;
    if (own) return own.account;
  }
  const latest = store.db.query(SQL.latestAccount).get(ANTHROPIC) as { account: string } | null;
  return latest?.account ?? null;
}

/** Epoch ms of the local midnight that began the day of `nowMs`. */
export function localDayStart(store: Store, nowMs: number): number {
  return (store.db.query(SQL.dayStart).get(nowMs) as { start: number }).start;
}

/** Read-only; a store older than schema 4 (no sessions, accounts or windows yet) gives today's cost alone. */
export function readFacts(store: Store, o: FactsOptions): StatusFacts {
  const todayMicros = (store.db.query(SQL.today).get(localDayStart(store, o.nowMs), SELF_TEST_PROVIDER) as { micros: number }).micros;
  const since = o.nowMs - o.lookbackMs;
  if (store.schemaVersion < ACCOUNTS_SINCE) {
    const lookbackMicros = (store.db.query(SQL.spendOfProvider).get(since, ANTHROPIC) as { micros: number }).micros;
    return { session: null, todayMicros, account: null, windows: {}, lookbackMicros };
  }
  let session: SessionCost | null = null;
  if (o.sessionId !== null) {
    const r = store.db.query(SQL.session).get(o.sessionId) as { n: number; micros: number; unpriced: number };
    session = { requests: r.n, micros: r.micros, unpriced: r.unpriced };
  }
  const account = accountOf(store, o.sessionId);
  const windows: StatusFacts["windows"] = {};
  if (account !== null) {
    for (const w of STATUS_WINDOWS) {
      const samples = windowSamples(store, account, w, since);
      if (samples) windows[w] = samples;
    }
  }
  const spend = account === null ? store.db.query(SQL.spendOfProvider).get(since, ANTHROPIC) : store.db.query(SQL.spendOfAccount).get(since, ANTHROPIC, account);
  return { session, todayMicros, account, windows, lookbackMicros: (spend as { micros: number }).micros };
}
