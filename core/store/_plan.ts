// Which stretches of time a summary reads from the daily rollup and which from raw rows. A rollup
// day is used only when it lies wholly inside the asked range, inside one of the reader's calendar
// days when grouping by day (the daemon may have rolled up in another time zone), and overlaps no
// other rollup day (the time zone changed between writes). Everything else is read raw, as are
// rows the rollup has not folded in yet.

import type { Database } from "bun:sqlite";
import { bucketNumber, DAY_MS, type TimeZone } from "./_days.ts";
import { hasRollup, rollupMark } from "./rollup.ts";

/** A half-open stretch of started_at; null is unbounded. */
export type Interval = [lo: number | null, hi: number | null];

export interface Plan {
  /** Rows with a higher id are not in the rollup yet: always read raw. */
  mark: number;
  /** The schema has the rollup and its latency index (an older file opened read-only may not). */
  latencyIndex: boolean;
  /** Stretches read from raw rows. */
  raw: Interval[];
  /**
   * The usable days merged into runs. Every rollup day inside a run is usable (one that overlaps
   * another is not, and could not lie inside a run), so the runs alone select the days to read.
   * Rows above the mark inside them are read raw: they are in no rollup day yet.
   */
  covered: Array<[start: number, end: number]>;
}

export interface PlanInput {
  since?: number;
  until?: number;
  /** Group by calendar day: a rollup day must fall within one of the reader's days. */
  byDay: boolean;
  /** Group by hour: no rollup day can be used. */
  byHour: boolean;
  timeZone: TimeZone;
}

export function planSpans(db: Database, input: PlanInput): Plan {
  const whole: Interval = [input.since ?? null, input.until ?? null];
  const mark = rollupMark(db);
  if (mark === null || !hasRollup(db)) return { mark: 0, latencyIndex: false, raw: [whole], covered: [] };
  if (input.byHour) return { mark, latencyIndex: true, raw: [whole], covered: [] };

  // Rollup days are at most ~25 hours long: any that touches the range starts after since - 2 days.
  const lo = input.since === undefined ? Number.MIN_SAFE_INTEGER : input.since - 2 * DAY_MS;
  const hi = input.until ?? Number.MAX_SAFE_INTEGER;
  const spans = db
    .query("SELECT DISTINCT day_start AS s, day_end AS e FROM request_rollups WHERE day_start >= ? AND day_start < ? ORDER BY day_start, day_end")
    .all(lo, hi) as { s: number; e: number }[];

  const overlapping = new Set<number>();
  let reach = Number.MIN_SAFE_INTEGER;
  spans.forEach((span, i) => {
    if (span.s < reach) {
      overlapping.add(i);
      for (let j = 0; j < i; j++) if (spans[j]!.e > span.s) overlapping.add(j);
    }
    reach = Math.max(reach, span.e);
  });

  const inRange = (s: number, e: number) => (input.since === undefined || s >= input.since) && (input.until === undefined || e <= input.until);
  const oneDay = (s: number, e: number) => !input.byDay || bucketNumber(s, input.timeZone, DAY_MS) === bucketNumber(e - 1, input.timeZone, DAY_MS);
  const usableSpans = spans.filter((span, i) => !overlapping.has(i) && inRange(span.s, span.e) && oneDay(span.s, span.e));

  const covered: Array<[number, number]> = [];
  for (const span of usableSpans) {
    const last = covered.at(-1);
    if (last && last[1] === span.s) last[1] = span.e;
    else covered.push([span.s, span.e]);
  }
  const raw: Interval[] = [];
  let cursor: number | null = whole[0];
  for (const span of usableSpans) {
    if (cursor === null || cursor < span.s) raw.push([cursor, span.s]);
    cursor = span.e;
  }
  if (usableSpans.length === 0) raw.push(whole);
  else if (whole[1] === null || cursor! < whole[1]) raw.push([cursor, whole[1]]);

  return { mark, latencyIndex: true, raw, covered };
}
