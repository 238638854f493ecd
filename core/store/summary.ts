// Aggregates for reports and the dashboard: sums in SQL, the p95 latency in JS over one select.

import type { Store } from "./open.ts";
import { dayLabel, dayNumberSql } from "./_days.ts";
import { whereClause, type RequestFilter } from "./filters.ts";

export type GroupBy = "project" | "model" | "provider" | "client" | "day";

export interface SummaryOptions extends RequestFilter {
  /** Omitted: one row for everything that matches. */
  groupBy?: GroupBy;
  /** Which calendar "day" means. Default "local" (the process's TZ). */
  timeZone?: "local" | "utc";
}

export interface SummaryRow {
  /** The group's value (a day is YYYY-MM-DD); null for the total row or a NULL column. */
  key: string | null;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  reasoningTokens: number;
  /** Sum over priced rows, integer micro-dollars. */
  costMicros: number;
  unpricedRequests: number;
  /** cache read / (input + cache read + cache writes); null with no input at all. */
  cacheHitRate: number | null;
  avgLatencyMs: number | null;
  /** Nearest-rank 95th percentile. */
  p95LatencyMs: number | null;
}

type Key = string | number | null;

interface AggregateRow {
  k: Key;
  requests: number;
  input: number;
  output: number;
  cache_read: number;
  cache_5m: number;
  cache_1h: number;
  reasoning: number;
  cost: number;
  unpriced: number;
  avg_latency: number | null;
  latency_n: number;
}

/** The grouping expression. The unary + keeps SQLite from walking a column's index to group
 *  (random row lookups, and it would ignore the started_at range index); a sort is cheaper. */
function keyExpr(store: Store, opts: SummaryOptions): string {
  const groupBy = opts.groupBy;
  if (groupBy === undefined) return "NULL";
  if (groupBy !== "day") return `+${groupBy}`; // a column name from the closed union, never user text
  const range = store.db.query("SELECT MIN(started_at) AS lo, MAX(started_at) AS hi FROM requests").get() as { lo: number | null; hi: number | null };
  const from = Math.max(opts.since ?? -Infinity, range.lo ?? 0);
  const to = Math.min(opts.until ?? Infinity, range.hi ?? 0);
  return dayNumberSql(from, Math.max(from, to), opts.timeZone ?? "local");
}

/** Nearest rank per group: the ceil(0.95 n)-th smallest latency. */
function p95ByKey(store: Store, key: string, opts: SummaryOptions, counts: Map<Key, number>): Map<Key, number> {
  const { sql, params } = whereClause(opts, ["latency_ms IS NOT NULL"]);
  const values = store.db.query(`SELECT ${key}, latency_ms FROM requests ${sql}`).values(...params) as [Key, number][];
  const groups = new Map<Key, { data: Float64Array; used: number }>();
  for (const [k, n] of counts) if (n > 0) groups.set(k, { data: new Float64Array(n), used: 0 });
  for (const [k, latency] of values) {
    const g = groups.get(k);
    if (g && g.used < g.data.length) g.data[g.used++] = latency;
  }
  const out = new Map<Key, number>();
  for (const [k, g] of groups) {
    const sorted = g.data.subarray(0, g.used).sort();
    if (g.used > 0) out.set(k, sorted[Math.ceil(0.95 * g.used) - 1]!);
  }
  return out;
}

export function summary(store: Store, opts: SummaryOptions = {}): SummaryRow[] {
  const key = keyExpr(store, opts);
  const { sql: where, params } = whereClause(opts);
  const aggregates = store.db
    .query(
      `SELECT ${key} AS k, COUNT(*) AS requests,
        COALESCE(SUM(input_tokens), 0) AS input, COALESCE(SUM(output_tokens), 0) AS output,
        COALESCE(SUM(cache_read_tokens), 0) AS cache_read, COALESCE(SUM(cache_write_5m_tokens), 0) AS cache_5m,
        COALESCE(SUM(cache_write_1h_tokens), 0) AS cache_1h, COALESCE(SUM(reasoning_tokens), 0) AS reasoning,
        COALESCE(SUM(cost_micros), 0) AS cost, COALESCE(SUM(price_status = 'unpriced'), 0) AS unpriced,
        AVG(latency_ms) AS avg_latency, COUNT(latency_ms) AS latency_n
      FROM requests ${where} ${opts.groupBy === undefined ? "" : `GROUP BY ${key}`}`,
    )
    .all(...params) as AggregateRow[];
  if (opts.groupBy !== undefined && aggregates.length === 0) return [];
  const p95 = p95ByKey(store, key, opts, new Map(aggregates.map((a) => [a.k, a.latency_n])));

  const rows = aggregates.map((a): SummaryRow => {
    const inputSide = a.input + a.cache_read + a.cache_5m + a.cache_1h;
    return {
      key: a.k === null ? null : opts.groupBy === "day" ? dayLabel(a.k as number) : String(a.k),
      requests: a.requests,
      inputTokens: a.input,
      outputTokens: a.output,
      cacheReadTokens: a.cache_read,
      cacheWrite5mTokens: a.cache_5m,
      cacheWrite1hTokens: a.cache_1h,
      reasoningTokens: a.reasoning,
      costMicros: a.cost,
      unpricedRequests: a.unpriced,
      cacheHitRate: inputSide > 0 ? a.cache_read / inputSide : null,
      avgLatencyMs: a.avg_latency,
      p95LatencyMs: p95.get(a.k) ?? null,
    };
  });
  return opts.groupBy === "day"
    ? rows.sort((x, y) => (x.key ?? "").localeCompare(y.key ?? ""))
    : rows.sort((x, y) => y.costMicros - x.costMicros || y.requests - x.requests);
}
