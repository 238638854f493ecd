// Aggregates for reports, the API and the dashboard. Whole days come from the daily rollup, the
// rest from raw rows (see _plan.ts); p95 latency is exact (nearest rank).

import type { Store } from "./open.ts";
import { dayLabel, hourLabel, type TimeZone } from "./_days.ts";
import { aggregate, type Dimension, type Group, type Key } from "./_aggregate.ts";
import { newSums, summedFields, sumsByName, type SummedFields } from "./_sums.ts";
import type { RequestFilter } from "./filters.ts";

export type GroupBy = "project" | "model" | "provider" | "client" | "day";
export type { Dimension };

export interface SummaryOptions extends RequestFilter {
  /** Omitted: one row for everything that matches. */
  groupBy?: GroupBy;
  /** Which calendar "day" means. Default "local" (the process's TZ). */
  timeZone?: TimeZone;
}

/**
 * A group's sums (requests, inputTokens, outputTokens, cacheReadTokens, cacheWrite5mTokens,
 * cacheWrite1hTokens, reasoningTokens, costMicros over priced rows in integer micro-dollars,
 * unpricedRequests: see SUM_COLUMNS in _sums.ts), then what is derived from them.
 */
export interface SummaryRow extends SummedFields {
  /** The group's value (a day is YYYY-MM-DD); null for the total row or a NULL column. */
  key: string | null;
  /** cache read / (input + cache read + cache writes); null with no input at all. */
  cacheHitRate: number | null;
  avgLatencyMs: number | null;
  /** Nearest-rank 95th percentile. */
  p95LatencyMs: number | null;
}

function label(dim: Dimension, k: Key): string | null {
  if (k === null) return null;
  if (dim === "day") return dayLabel(k as number);
  if (dim === "hour") return hourLabel(k as number);
  return String(k);
}

function toRow(g: Group, key: string | null): SummaryRow {
  const s = sumsByName(g.sums);
  const inputSide = s.input_tokens + s.cache_read_tokens + s.cache_write_5m_tokens + s.cache_write_1h_tokens;
  return {
    key,
    ...summedFields(g.sums),
    cacheHitRate: inputSide > 0 ? s.cache_read_tokens / inputSide : null,
    avgLatencyMs: s.latency_n > 0 ? s.latency_sum / s.latency_n : null,
    p95LatencyMs: g.p95,
  };
}

const ZERO: Group = { keys: [], sums: newSums(), hist: null, p95: null };

const byCost = (x: SummaryRow, y: SummaryRow) => y.costMicros - x.costMicros || y.requests - x.requests;

/** A group with no LLM call (a model of only other calls) is no row of its own; the total still counts its other calls. */
function sortRows(rows: SummaryRow[], groupBy: GroupBy): SummaryRow[] {
  const calls = rows.filter((r) => r.requests > 0);
  return groupBy === "day" ? calls.sort((x, y) => (x.key ?? "").localeCompare(y.key ?? "")) : calls.sort(byCost);
}

export function summary(store: Store, opts: SummaryOptions = {}): SummaryRow[] {
  const dims: Dimension[] = opts.groupBy ? [opts.groupBy] : [];
  const { groups } = aggregate(store.db, opts, dims, { timeZone: opts.timeZone ?? "local", percentile: true });
  if (!opts.groupBy) return [toRow(groups[0] ?? ZERO, null)];
  return sortRows(
    groups.map((g) => toRow(g, label(opts.groupBy!, g.keys[0]!))),
    opts.groupBy,
  );
}

/**
 * The grouped rows and the total over the same rows, in one pass (a report's table and header).
 * `percentile: false` skips the p95 (null then): a comparison period needs only the sums.
 */
export function summaryWithTotal(store: Store, opts: SummaryOptions & { groupBy: GroupBy; percentile?: boolean }): { total: SummaryRow; rows: SummaryRow[] } {
  const { groups, total } = aggregate(store.db, opts, [opts.groupBy], { timeZone: opts.timeZone ?? "local", percentile: opts.percentile !== false, total: true });
  return { total: toRow(total ?? ZERO, null), rows: sortRows(groups.map((g) => toRow(g, label(opts.groupBy, g.keys[0]!))), opts.groupBy) };
}

/** A summary row keyed by several dimensions (see summaryCube). */
export interface BreakdownRow extends Omit<SummaryRow, "key"> {
  keys: Array<string | null>;
}

export interface Cube {
  /** The cube summed down to some of its dimensions (no p95: percentiles do not add up). */
  by(dims: Dimension[]): BreakdownRow[];
}

/**
 * One pass over every combination of `dims`; any grouping by a subset of them is then summed in
 * memory. The API's stats answer five groupings and a chart from one cube instead of six queries.
 */
export function summaryCube(store: Store, opts: RequestFilter & { dims: Dimension[]; timeZone?: TimeZone }): Cube {
  const { groups } = aggregate(store.db, opts, opts.dims, { timeZone: opts.timeZone ?? "local", percentile: false });
  return {
    by(dims) {
      const at = dims.map((d) => opts.dims.indexOf(d));
      if (at.includes(-1)) throw new Error(`cube over ${opts.dims.join(", ")} has no ${dims.join(", ")}`);
      const sums = new Map<string, Group>();
      for (const g of groups) {
        const keys = at.map((i) => g.keys[i]!);
        const id = JSON.stringify(keys);
        let into = sums.get(id);
        if (!into) sums.set(id, (into = { keys, sums: new Array(g.sums.length).fill(0), hist: null, p95: null }));
        for (let i = 0; i < g.sums.length; i++) into.sums[i]! += g.sums[i]!;
      }
      const rows = [...sums.values()].map((g) => {
        const { key: _key, ...row } = toRow(g, null);
        return { keys: g.keys.map((k, i) => label(dims[i]!, k)), ...row };
      });
      return dims.length === 0 ? rows : rows.filter((r) => r.requests > 0);
    },
  };
}
