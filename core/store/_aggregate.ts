// The summary engine: sums and latency histograms per group, from the daily rollup where the plan
// allows and from raw rows elsewhere, then each group's exact nearest-rank p95 from its histogram
// (which bin) and the latency index (which value in that bin). One read transaction: a snapshot.

import type { Database, SQLQueryBindings } from "bun:sqlite";
import { bucketNumber, bucketNumberSql, DAY_MS, HOUR_MS, type TimeZone } from "./_days.ts";
import { addEncoded, binOf, binRange, newHistogram, rankBin, type Histogram } from "./_histogram.ts";
import { planSpans, type Plan } from "./_plan.ts";
import { newSums, SUM_AT, SUM_COUNT, SUMMED_READS, SUMS_OVER_ROLLUP, SUMS_OVER_ROWS } from "./_sums.ts";
import { dimensionParts, whereClause, type RequestFilter, type Where } from "./filters.ts";

export type Dimension = "project" | "model" | "provider" | "client" | "day" | "hour";
export type Key = string | number | null;

export interface Group {
  keys: Key[];
  /** In SUM_COLUMNS order (see _sums.ts). */
  sums: number[];
  hist: Histogram | null;
  p95: number | null;
}

export interface AggregateOptions {
  timeZone: TimeZone;
  /** Compute each group's p95 latency (costs a histogram pass and a band query or two). */
  percentile: boolean;
}

/** What the raw branches carry: the columns keys, sums and latencies are computed from. */
const RAW_COLUMNS = [...new Set(["started_at", "provider", "model", "project", "client", ...SUMMED_READS, "latency_ms"])].join(", ");

const newGroup = (keys: Key[]): Group => ({ keys, sums: newSums(), hist: null, p95: null });

/** A group's map key: the value itself for one dimension (Map keeps 5 and "5" apart), else JSON. */
const idOf = (keys: Key[]): Key => (keys.length === 1 ? keys[0]! : JSON.stringify(keys));

/** The groups, and (when asked) a total that every addition also goes to. */
class Groups {
  readonly map = new Map<Key, Group>();
  readonly total: Group | null;
  constructor(withTotal: boolean) {
    this.total = withTotal ? newGroup([]) : null;
  }
  get(keys: Key[]): Group {
    const id = idOf(keys);
    let g = this.map.get(id);
    if (!g) this.map.set(id, (g = newGroup(keys)));
    return g;
  }
  addSums(keys: Key[], row: unknown[], at: number): void {
    for (const g of [this.get(keys), this.total]) if (g) for (let i = 0; i < SUM_COUNT; i++) g.sums[i]! += row[at + i] as number;
  }
  addBlob(keys: Key[], blob: Uint8Array): void {
    for (const g of [this.get(keys), this.total]) if (g) addEncoded((g.hist ??= newHistogram()), blob);
  }
  addLatency(keys: Key[], ms: number): void {
    const bin = binOf(ms);
    for (const g of [this.map.get(idOf(keys)), this.total]) if (g) (g.hist ??= newHistogram())[bin]! += 1;
  }
}

/** SQL key expressions over requests; the unary + keeps SQLite from walking a column's index to group. */
function keyExprs(db: Database, f: RequestFilter, dims: readonly Dimension[], tz: TimeZone): string[] {
  let range: { lo: number | null; hi: number | null } | undefined;
  const bounds = () => {
    // Two queries: SQLite answers a lone MIN or MAX from the index, both at once by a full scan.
    range ??= {
      lo: (db.query("SELECT MIN(started_at) AS v FROM requests").get() as { v: number | null }).v,
      hi: (db.query("SELECT MAX(started_at) AS v FROM requests").get() as { v: number | null }).v,
    };
    const from = Math.max(f.since ?? -Infinity, range.lo ?? 0);
    return [from, Math.max(from, Math.min(f.until ?? Infinity, range.hi ?? 0))] as const;
  };
  return dims.map((d) => (d === "day" ? bucketNumberSql(...bounds(), tz, DAY_MS) : d === "hour" ? bucketNumberSql(...bounds(), tz, HOUR_MS) : `+${d}`));
}

/**
 * The raw rows a plan reads, as one UNION ALL source: a branch per raw stretch (each can use the
 * started_at or (project, started_at) index), and one for rows above the rollup's mark inside the
 * days read from the rollup (they are not in it yet), found by id alone: its other conditions are
 * written +column so that no other index is preferred.
 */
function rawSource(f: RequestFilter, plan: Plan): Where {
  const branches: string[] = [];
  const params: SQLQueryBindings[] = [];
  const dims = dimensionParts(f);
  for (const [lo, hi] of plan.raw) {
    const conds = [...dims.parts];
    const bounds: SQLQueryBindings[] = [];
    if (lo !== null) {
      conds.push("started_at >= ?");
      bounds.push(lo);
    }
    if (hi !== null) {
      conds.push("started_at < ?");
      bounds.push(hi);
    }
    branches.push(`SELECT ${RAW_COLUMNS} FROM requests${conds.length ? ` WHERE ${conds.join(" AND ")}` : ""}`);
    params.push(...dims.params, ...bounds);
  }
  if (plan.covered.length) {
    const runs = plan.covered.map(() => "(+started_at >= ? AND +started_at < ?)").join(" OR ");
    const late = whereClause({ ...f, since: undefined, until: undefined }, ["id > ?", `(${runs})`], [plan.mark, ...plan.covered.flat()], true);
    branches.push(`SELECT ${RAW_COLUMNS} FROM requests ${late.sql}`);
    params.push(...late.params);
  }
  return { sql: `(${branches.join(" UNION ALL ")})`, params };
}

function addRollup(db: Database, f: RequestFilter, dims: readonly Dimension[], opts: AggregateOptions, plan: Plan, groups: Groups): void {
  if (!plan.covered.length) return;
  // Every rollup day inside a covered run is a usable one (see _plan.ts): the runs alone select them.
  const { parts, params } = dimensionParts(f);
  const runs = plan.covered.map(() => "(day_start >= ? AND day_start < ? AND day_end <= ?)").join(" OR ");
  const where = `WHERE (${runs})${parts.length ? ` AND ${parts.join(" AND ")}` : ""}`;
  const bind = [...plan.covered.flatMap(([start, end]) => [start, end, end]), ...params];
  // An hourly grouping never gets here (no rollup day fits in an hour); a day is grouped by day_start.
  const cols = dims.map((d) => (d === "day" || d === "hour" ? "day_start" : d));
  const n = cols.length;
  const select = n ? `${cols.join(", ")}, ` : "";
  const days = new Map<number, number>();
  const keysOf = (row: unknown[]): Key[] =>
    dims.map((d, i) => {
      if (d !== "day") return row[i] as Key;
      const start = row[i] as number;
      let day = days.get(start);
      if (day === undefined) days.set(start, (day = bucketNumber(start, opts.timeZone, DAY_MS)));
      return day;
    });
  const sums = db.query(`SELECT ${select}${SUMS_OVER_ROLLUP} FROM request_rollups ${where} ${n ? `GROUP BY ${cols.join(", ")}` : ""}`).values(...bind) as unknown[][];
  for (const row of sums) if (row[n + SUM_AT.requests] || row[n + SUM_AT.other_calls]) groups.addSums(keysOf(row), row, n);
  if (!opts.percentile) return;
  for (const row of db.query(`SELECT ${select}latency_hist FROM request_rollups ${where} AND latency_hist IS NOT NULL`).values(...bind) as unknown[][]) {
    groups.addBlob(keysOf(row), row[n] as Uint8Array);
  }
}

function addRaw(db: Database, source: Where, keys: string[], opts: AggregateOptions, groups: Groups): void {
  const n = keys.length;
  const select = keys.length ? `${keys.join(", ")}, ` : "";
  const groupBy = n ? `GROUP BY ${keys.map((_, i) => i + 1).join(", ")}` : "";
  for (const row of db.query(`SELECT ${select}${SUMS_OVER_ROWS} FROM ${source.sql} ${groupBy}`).values(...source.params) as unknown[][]) {
    if (row[n + SUM_AT.requests] !== 0 || row[n + SUM_AT.other_calls] !== 0) groups.addSums(row.slice(0, n) as Key[], row, n);
  }
  if (!opts.percentile) return;
  const latencies = db.query(`SELECT ${select}latency_ms FROM ${source.sql} WHERE latency_ms IS NOT NULL AND metered = 1`).values(...source.params) as unknown[][];
  for (const row of latencies) groups.addLatency(row.slice(0, n) as Key[], row[n] as number);
}

/** Each group's nearest-rank p95: the histogram names the bin, the band query the value in it. */
function addP95(db: Database, f: RequestFilter, keys: string[], indexed: boolean, groups: Groups): void {
  // bin -> the groups whose p95 lies in it, with its offset among the values in that bin
  const wanted = new Map<number, Array<{ g: Group; offset: number }>>();
  const target = new Map<Group, number>();
  for (const g of [...groups.map.values(), ...(groups.total ? [groups.total] : [])]) {
    const n = g.sums[SUM_AT.latency_n]!;
    if (n === 0 || !g.hist) continue;
    const rank = Math.ceil(0.95 * n);
    const at = rankBin(g.hist, rank);
    if (!at) continue;
    const [lo, hi] = binRange(at.bin);
    if (hi - lo === 1) g.p95 = lo;
    else {
      wanted.set(at.bin, [...(wanted.get(at.bin) ?? []), { g, offset: rank - at.below - 1 }]);
      target.set(g, at.bin);
    }
  }
  const bins = [...wanted.keys()].sort((a, b) => a - b);
  const n = keys.length;
  const select = n ? `${keys.join(", ")}, ` : "";
  // One band query per run of adjacent bins; usually every group's p95 falls in one or two runs.
  for (let i = 0; i < bins.length; ) {
    let j = i;
    while (j + 1 < bins.length && bins[j + 1] === bins[j]! + 1) j++;
    const run = bins.slice(i, j + 1);
    i = j + 1;
    const values = new Map<Group, number[]>(run.flatMap((bin) => wanted.get(bin)!.map(({ g }) => [g, []] as [Group, number[]])));
    const { sql, params } = whereClause(f, ["latency_ms >= ?", "latency_ms < ?", "metered = 1"], [binRange(run[0]!)[0], binRange(run.at(-1)!)[1]]);
    for (const row of db.query(`SELECT ${select}latency_ms FROM requests ${indexed ? "INDEXED BY requests_latency" : ""} ${sql}`).values(...params) as unknown[][]) {
      const latency = row[n] as number;
      const bin = binOf(latency);
      for (const g of [groups.map.get(idOf(row.slice(0, n) as Key[])), groups.total]) {
        if (g && target.get(g) === bin) values.get(g)?.push(latency);
      }
    }
    for (const bin of run) {
      for (const { g, offset } of wanted.get(bin)!) g.p95 = values.get(g)!.sort((a, b) => a - b)[offset] ?? binRange(bin)[0];
    }
  }
}

export interface Aggregate {
  groups: Group[];
  /** Everything that matched, when asked for with `total`. */
  total: Group | null;
}

export function aggregate(db: Database, f: RequestFilter, dims: readonly Dimension[], opts: AggregateOptions & { total?: boolean }): Aggregate {
  let out: Aggregate = { groups: [], total: null };
  db.transaction(() => {
    const plan = planSpans(db, { since: f.since, until: f.until, byDay: dims.includes("day"), byHour: dims.includes("hour"), timeZone: opts.timeZone });
    const groups = new Groups(opts.total === true);
    const keys = keyExprs(db, f, dims, opts.timeZone);
    addRollup(db, f, dims, opts, plan, groups);
    addRaw(db, rawSource(f, plan), keys, opts, groups);
    if (opts.percentile) addP95(db, f, keys, plan.latencyIndex, groups);
    out = { groups: [...groups.map.values()], total: groups.total };
  })();
  return out;
}
