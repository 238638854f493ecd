// The providers' limit windows over time: one limit_samples row per window per response that
// reported it, written with its request (rows.ts), read back per provider, account and window.

import type { Database } from "bun:sqlite";
import type { LimitKind, LimitObservation } from "../usage/types.ts";
import { HOUR_MS } from "./_days.ts";
import { metaValue, setMetaValue } from "./_meta.ts";
import type { Store } from "./open.ts";

/** One observation as stored: what the provider said, and when its response head arrived. */
export interface LimitSampleRow extends LimitObservation {
  /** Epoch ms. */
  observedAt: number;
}

/** A window as the store knows it: its newest sample and the samples since `since`, oldest first. */
export interface StoredWindow {
  provider: string;
  account: string;
  window: string;
  kind: LimitKind;
  latest: LimitSampleRow;
  recent: LimitSampleRow[];
}

const INSERT_SAMPLE = `INSERT INTO limit_samples
  (request_id, observed_at, provider, account, window_name, kind, utilization, limit_value, remaining, resets_at, window_minutes, status, extra)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const finiteOrNull = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);
const integerOrNull = (v: number | null): number | null => (v !== null && Number.isSafeInteger(v) ? v : null);

/** Inside the caller's transaction. */
export function insertLimitSamples(db: Database, requestId: number | bigint, account: string, samples: readonly LimitSampleRow[]): void {
  const insert = db.query(INSERT_SAMPLE);
  for (const s of samples) {
    insert.run(
      requestId, Math.round(s.observedAt), s.provider, account, s.window, s.kind, finiteOrNull(s.utilization), finiteOrNull(s.limit),
      finiteOrNull(s.remaining), integerOrNull(s.resetsAt), integerOrNull(s.windowMinutes), s.status,
      s.extra && Object.keys(s.extra).length > 0 ? JSON.stringify(s.extra) : null,
    );
  }
}

/** The key accounts are fingerprinted with; written once by the schema step that made the table. */
export function accountSalt(store: Store): string {
  const salt = metaValue(store.db, "account_salt");
  if (salt === null) throw new Error("the store has no account_salt (its schema is older than this program)");
  return salt;
}

interface SqlSample {
  observed_at: number;
  provider: string;
  account: string;
  window_name: string;
  kind: string;
  utilization: number | null;
  limit_value: number | null;
  remaining: number | null;
  resets_at: number | null;
  window_minutes: number | null;
  status: string | null;
  extra: string | null;
}

function toSample(r: SqlSample): LimitSampleRow {
  let extra: Record<string, string> | undefined;
  try {
    extra = r.extra ? (JSON.parse(r.extra) as Record<string, string>) : undefined;
  } catch {
    extra = undefined;
  }
  return {
    observedAt: r.observed_at,
    provider: r.provider as LimitObservation["provider"],
    window: r.window_name,
    kind: r.kind as LimitKind,
    utilization: r.utilization,
    limit: r.limit_value,
    remaining: r.remaining,
    resetsAt: r.resets_at,
    windowMinutes: r.window_minutes,
    status: r.status,
    ...(extra ? { extra } : {}),
  };
}

export interface WindowQuery {
  /** Samples at or after this (epoch ms) come back in `recent`. */
  since: number;
  /** Windows whose newest sample is older than this are left out (epoch ms); default: all. */
  seenSince?: number;
  provider?: string;
}

/** The schema step that made limit_samples: a store a daemon has not upgraded yet has no windows. */
const SAMPLES_SINCE = 4;

/** Every window, newest sample first in order of provider, account and window name. */
export function limitWindows(store: Store, q: WindowQuery): StoredWindow[] {
  if (store.schemaVersion < SAMPLES_SINCE) return [];
  const params: Array<string | number> = [q.seenSince ?? 0];
  let where = "";
  if (q.provider) {
    where = "AND provider = ?";
    params.push(q.provider);
  }
  // The newest sample of each window (SQLite's bare-column rule: the row holding the MAX).
  const latest = store.db
    .query(`SELECT *, MAX(observed_at) AS newest FROM limit_samples WHERE observed_at >= ? ${where} GROUP BY provider, account, window_name ORDER BY provider, account, window_name`)
    .all(...params) as SqlSample[];
  const recent = store.db.query("SELECT * FROM limit_samples WHERE provider = ? AND account = ? AND window_name = ? AND observed_at >= ? ORDER BY observed_at, id");
  return latest.map((r) => ({
    provider: r.provider,
    account: r.account,
    window: r.window_name,
    kind: r.kind as LimitKind,
    latest: toSample(r),
    recent: (recent.all(r.provider, r.account, r.window_name, q.since) as SqlSample[]).map(toSample),
  }));
}

/** The distinct resets reported for one window name (Anthropic's "5h") in [since, until), oldest first. */
export function reportedResets(store: Store, window: string, since: number, until: number, provider?: string): number[] {
  if (store.schemaVersion < SAMPLES_SINCE) return [];
  const rows = store.db
    .query(`SELECT DISTINCT resets_at FROM limit_samples WHERE window_name = ? AND resets_at IS NOT NULL AND observed_at >= ? AND observed_at < ? ${provider ? "AND provider = ?" : ""} ORDER BY resets_at`)
    .all(...[window, since, until, ...(provider ? [provider] : [])]) as Array<{ resets_at: number }>;
  return rows.map((r) => r.resets_at);
}

/** Who last spent an account: its newest request's client and project (requests_account index). */
export function accountLastUse(store: Store, account: string): { client: string | null; project: string | null; at: number } | null {
  if (store.schemaVersion < SAMPLES_SINCE) return null;
  const row = store.db.query("SELECT client, project, started_at FROM requests WHERE account = ? ORDER BY started_at DESC LIMIT 1").get(account) as
    | { client: string | null; project: string | null; started_at: number }
    | null;
  return row ? { client: row.client, project: row.project, at: row.started_at } : null;
}

/** Samples younger than this are kept as they came; older ones are thinned (thinLimitSamples). */
export const LIMIT_SAMPLES_FULL_MS = 7 * 24 * 3_600_000;
const THINNED_TO = "limit_samples_thinned_to";

export interface ThinResult {
  /** Samples deleted by this call. */
  deleted: number;
  /** Samples before this (epoch ms) are thinned; null when there is nothing old enough yet. */
  thinnedTo: number | null;
}

/**
 * Keeps the time series from growing without end: past LIMIT_SAMPLES_FULL_MS, each window keeps
 * the newest sample of each hour, and of each reported reset within it for subscription windows
 * (the billing blocks are read from those). One hour at a time, from where the last call stopped
 * (meta.limit_samples_thinned_to), for at most `budgetMs` past the first hour: the daemon calls it on its
 * event loop.
 */
export function thinLimitSamples(store: Store, nowMs: number, opts: { budgetMs?: number; clock?: () => number } = {}): ThinResult {
  if (store.schemaVersion < SAMPLES_SINCE) return { deleted: 0, thinnedTo: null };
  const clock = opts.clock ?? performance.now.bind(performance);
  const budget = opts.budgetMs ?? 5;
  const db = store.db;
  const cutoff = Math.floor((nowMs - LIMIT_SAMPLES_FULL_MS) / HOUR_MS) * HOUR_MS;
  const mark = metaValue(db, THINNED_TO);
  let from = mark === null ? Number.NaN : Number(mark);
  if (!Number.isFinite(from)) {
    const oldest = db.query("SELECT MIN(observed_at) AS t FROM limit_samples").get() as { t: number | null };
    if (oldest.t === null) return { deleted: 0, thinnedTo: null };
    from = Math.floor(oldest.t / HOUR_MS) * HOUR_MS;
  }
  if (from >= cutoff) return { deleted: 0, thinnedTo: from };
  const thin = db.query(`DELETE FROM limit_samples WHERE observed_at >= ?1 AND observed_at < ?2 AND id NOT IN (
    SELECT MAX(id) FROM limit_samples WHERE observed_at >= ?1 AND observed_at < ?2
    GROUP BY provider, account, window_name, CASE kind WHEN 'subscription' THEN resets_at END)`);
  const started = clock();
  let deleted = 0;
  // At least one hour a call, so a slow machine still gets through the backlog.
  do {
    const slice = from;
    const to = slice + HOUR_MS;
    db.transaction(() => {
      deleted += thin.run(slice, to).changes;
      setMetaValue(db, THINNED_TO, String(to));
    })();
    from = to;
  } while (from < cutoff && clock() - started < budget);
  return { deleted, thinnedTo: from };
}
