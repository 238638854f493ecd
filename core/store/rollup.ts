// The daily rollup: per local calendar day and (provider, model, project, client), the sums a report
// needs and a latency histogram. It is complete through one request id (meta 'rollup_through_id'):
// every transaction that inserts rows folds in all rows above that mark before it commits, so a
// reader sees rows and rollup change together. Rows above the mark (written by an older build that
// knew no rollup) are still counted: readers add them from the raw table, and the next fold adds them.

import type { Database, SQLQueryBindings } from "bun:sqlite";
import { addEncodedSparse, binOf, encodeHistogram, type SparseHistogram } from "./_histogram.ts";
import { metaValue, setMetaValue } from "./_meta.ts";
import { METERED_LATENCY, newSums, ROLLUP_COLUMNS, SUM_COUNT, SUMS_PER_ROW } from "./_sums.ts";

const MARK = "rollup_through_id";

/** The day a row's started_at falls in, by this process's calendar: [start, end) in epoch ms. */
function dayOf(ms: number, last: { start: number; end: number }): { start: number; end: number } {
  if (ms >= last.start && ms < last.end) return last;
  const d = new Date(ms);
  const start = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  return { start, end: new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime() };
}

interface Bucket {
  dims: [dayStart: number, dayEnd: number, provider: string, model: string | null, project: string | null, client: string | null];
  /** In SUM_COLUMNS order (see _sums.ts). */
  sums: number[];
  hist: SparseHistogram | null;
}

/** Rows read per query while folding: a backfill of millions of rows never holds them all. */
const FOLD_CHUNK = 20_000;

/** id, started_at, provider, model, project, client, what the row adds to each sum, then its latency (metered rows). */
type PendingRow = [id: number, startedAt: number, provider: string, model: string | null, project: string | null, client: string | null, ...rest: Array<number | null>];
const ADDS_AT = 6;
const LATENCY_AT = ADDS_AT + SUM_COUNT;

const PENDING = `SELECT id, started_at, provider, model, project, client, ${SUMS_PER_ROW}, ${METERED_LATENCY}
  FROM requests WHERE id > ? ORDER BY id LIMIT ${FOLD_CHUNK}`;

/** The id through which the rollup is complete; null when this schema has no rollup. */
export function rollupMark(db: Database): number | null {
  const mark = metaValue(db, MARK);
  return mark === null ? null : Number(mark);
}

/** Whether the file has a rollup this build reads: every sum's column (an older file may lack some). */
export function hasRollup(db: Database): boolean {
  const columns = new Set((db.query("SELECT name FROM pragma_table_info('request_rollups')").values() as [string][]).map(([c]) => c));
  return ROLLUP_COLUMNS.every((c) => columns.has(c));
}

/** Folds every row above the mark into the rollup. Call inside the transaction that wrote them. */
export function foldPending(db: Database): number {
  const mark = rollupMark(db);
  if (mark === null) return 0;
  const buckets = new Map<string, Bucket>();
  let day = { start: 0, end: 0 };
  let last = mark;
  const pending = db.query(PENDING);
  for (;;) {
    const rows = pending.values(last) as PendingRow[];
    for (const row of rows) {
      day = dayOf(row[1], day);
      // A key that keeps NULL apart from any text ("\u0000" never appears in a name).
      const key = `${day.start}\u0001${row[2]}\u0001${row[3] ?? "\u0000"}\u0001${row[4] ?? "\u0000"}\u0001${row[5] ?? "\u0000"}`;
      let b = buckets.get(key);
      if (!b) {
        b = { dims: [day.start, day.end, row[2], row[3], row[4], row[5]], sums: newSums(), hist: null };
        buckets.set(key, b);
      }
      const sums = b.sums;
      for (let i = 0; i < SUM_COUNT; i++) sums[i]! += row[ADDS_AT + i] as number;
      const latency = row[LATENCY_AT] as number | null;
      if (latency !== null) {
        const bin = binOf(latency);
        b.hist ??= new Map();
        b.hist.set(bin, (b.hist.get(bin) ?? 0) + 1);
      }
      last = row[0];
    }
    if (rows.length < FOLD_CHUNK) break;
  }
  if (last === mark) return 0;
  for (const b of buckets.values()) upsert(db, b);
  setMetaValue(db, MARK, String(last));
  return last - mark;
}

const FIND = `SELECT rowid, latency_hist FROM request_rollups
  WHERE day_start = ? AND day_end = ? AND provider = ? AND model IS ? AND project IS ? AND client IS ?`;
const UPDATE = `UPDATE request_rollups SET ${ROLLUP_COLUMNS.map((c) => `${c} = ${c} + ?`).join(", ")}, latency_hist = ? WHERE rowid = ?`;
const INSERT = `INSERT INTO request_rollups (day_start, day_end, provider, model, project, client, ${ROLLUP_COLUMNS.join(", ")}, latency_hist)
  VALUES (${new Array(6 + SUM_COUNT + 1).fill("?").join(", ")})`;

function upsert(db: Database, b: Bucket): void {
  const found = db.query(FIND).get(...b.dims) as { rowid: number; latency_hist: Uint8Array | null } | null;
  if (found && b.hist) addEncodedSparse(b.hist, found.latency_hist);
  const hist = b.hist ? encodeHistogram(b.hist) : (found?.latency_hist ?? null);
  if (found) db.query(UPDATE).run(...(b.sums as SQLQueryBindings[]), hist, found.rowid);
  else db.query(INSERT).run(...(b.dims as SQLQueryBindings[]), ...b.sums, hist);
}

/** Throws the rollup away and folds every row again, inside the caller's transaction (a schema step). */
export function refoldAll(db: Database): number {
  db.run("DELETE FROM request_rollups");
  setMetaValue(db, MARK, "0");
  return foldPending(db);
}

/** refoldAll in a transaction of its own (doctor's repair for a rollup that disagrees). */
export function rebuildRollup(db: Database): number {
  let folded = 0;
  db.transaction(() => {
    folded = refoldAll(db);
  }).immediate();
  return folded;
}

export interface RollupCheck {
  /** Rows the rollup counts (LLM calls and other calls), and raw rows at or below its mark: equal when consistent. */
  rolledUp: number;
  rows: number;
  /** Rows above the mark, waiting for the next fold. */
  pending: number;
}

export function checkRollup(db: Database): RollupCheck | null {
  const mark = rollupMark(db);
  if (mark === null || !hasRollup(db)) return null;
  const rolledUp = (db.query("SELECT COALESCE(SUM(requests + other_calls), 0) AS n FROM request_rollups").get() as { n: number }).n;
  const rows = (db.query("SELECT COUNT(*) AS n FROM requests WHERE id <= ?").get(mark) as { n: number }).n;
  const pending = (db.query("SELECT COUNT(*) AS n FROM requests WHERE id > ?").get(mark) as { n: number }).n;
  return { rolledUp, rows, pending };
}
