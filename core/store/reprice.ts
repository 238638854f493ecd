// Recomputing stored costs (`halton-meter pricing reprice`), with the daemon running or not. Rows
// are read in batches outside any transaction (WAL: the daemon's writer is not held); each batch's
// changes are written in one short IMMEDIATE transaction that also moves the daily rollup's sums
// (rollup.ts), so a reader sees rows and rollup change together and the daemon's writer, whose
// busy_timeout is 50 ms, waits a few milliseconds at most.

import type { Database } from "bun:sqlite";
import type { TokenCounts } from "../usage/types.ts";
import type { Store } from "./open.ts";
import { rebuildRollup, rollupMark } from "./rollup.ts";

/** A metered row with a price verdict, as reprice reads it. */
export interface RepriceCandidate {
  id: number;
  startedAt: number;
  provider: string;
  endpoint: string | null;
  model: string | null;
  project: string | null;
  client: string | null;
  tokens: TokenCounts;
  costMicros: number | null;
  priceStatus: "priced" | "unpriced";
  note: string | null;
}

/** A row's new price; null when the current prices cannot price it. */
export interface Repriced {
  costMicros: number;
  source: string;
  note: string | null;
}

export interface RepriceOptions {
  /** Epoch ms: only rows started then or later. */
  since?: number;
  /** Count what would change; write nothing. */
  dryRun?: boolean;
  /** Rows per read and per write transaction. Default 500. */
  batchSize?: number;
  price: (row: RepriceCandidate) => Repriced | null;
}

export interface RepriceResult {
  /** Metered rows looked at. */
  checked: number;
  /** Rows given a new cost (or that would be, with dryRun). */
  changed: number;
  /** Of those, rows that had no price before. */
  newlyPriced: number;
  /** Sum of new minus old cost over the changed rows (an unpriced row counted 0 before). */
  deltaMicros: number;
  stillUnpriced: number;
  /** Priced rows the current prices cannot price: their old price is kept. */
  keptPriced: number;
  /** The rollup disagreed with the rows (doctor's "store" check) and was rebuilt from them. */
  rollupRebuilt: boolean;
}

const SELECT = `SELECT id, started_at, provider, endpoint, model, project, client, input_tokens, output_tokens,
  cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, reasoning_tokens, cost_micros, price_status, note
  FROM requests WHERE id > ? AND id <= ? AND started_at >= ? AND metered = 1 AND price_status IN ('priced', 'unpriced') ORDER BY id LIMIT ?`;

type Row = [number, number, string, string | null, string | null, string | null, string | null, number, number, number, number, number, number, number | null, "priced" | "unpriced", string | null];

function candidate(r: Row): RepriceCandidate {
  const [id, startedAt, provider, endpoint, model, project, client, input, output, cacheRead, cacheWrite5m, cacheWrite1h, reasoning, costMicros, priceStatus, note] = r;
  return { id, startedAt, provider, endpoint, model, project, client, tokens: { input, output, cacheRead, cacheWrite5m, cacheWrite1h, reasoning }, costMicros, priceStatus, note };
}

// The guard on the old verdict skips a row another reprice changed meanwhile.
const UPDATE_ROW = `UPDATE requests SET cost_micros = ?, price_status = 'priced', price_source = ?, note = ?
  WHERE id = ? AND price_status = ? AND cost_micros IS ?`;
// The row's own bucket: its dimensions, and the day it fell in when it was folded (found by range,
// so a CLI in another time zone than the daemon's finds the same bucket).
const UPDATE_BUCKET = `UPDATE request_rollups SET cost_micros = cost_micros + ?, unpriced = unpriced - ?
  WHERE rowid = (SELECT rowid FROM request_rollups WHERE provider = ? AND model IS ? AND project IS ? AND client IS ?
    AND day_start <= ? AND ? < day_end LIMIT 1)`;

interface Change {
  row: RepriceCandidate;
  to: Repriced;
}

/** Writes one batch; returns the changes made and whether a folded row's bucket was missing. */
function write(db: Database, changes: readonly Change[]): { made: Change[]; missingBucket: boolean } {
  const made: Change[] = [];
  let missingBucket = false;
  db.transaction(() => {
    const mark = rollupMark(db);
    for (const c of changes) {
      const { row, to } = c;
      if (db.query(UPDATE_ROW).run(to.costMicros, to.source, to.note, row.id, row.priceStatus, row.costMicros).changes === 0) continue;
      made.push(c);
      // Rows above the mark are not folded yet: the next fold reads their new cost.
      if (mark === null || row.id > mark) continue;
      const delta = to.costMicros - (row.costMicros ?? 0);
      const wasUnpriced = row.priceStatus === "unpriced" ? 1 : 0;
      const moved = db.query(UPDATE_BUCKET).run(delta, wasUnpriced, row.provider, row.model, row.project, row.client, row.startedAt, row.startedAt);
      if (moved.changes === 0) missingBucket = true;
    }
  }).immediate();
  return { made, missingBucket };
}

export function repriceRows(store: Store, opts: RepriceOptions): RepriceResult {
  const db = store.db;
  const batch = opts.batchSize ?? 500;
  const select = db.query(SELECT);
  const result: RepriceResult = { checked: 0, changed: 0, newlyPriced: 0, deltaMicros: 0, stillUnpriced: 0, keptPriced: 0, rollupRebuilt: false };
  let missingBucket = false;
  let last = 0;
  // Rows written while this runs are the daemon's, priced with the current data already; a busy
  // daemon would otherwise keep the run going.
  const upTo = (db.query("SELECT COALESCE(MAX(id), 0) AS id FROM requests").get() as { id: number }).id;
  for (;;) {
    const rows = (select.values(last, upTo, opts.since ?? Number.MIN_SAFE_INTEGER, batch) as Row[]).map(candidate);
    if (rows.length === 0) break;
    last = rows.at(-1)!.id;
    const changes: Change[] = [];
    for (const row of rows) {
      result.checked++;
      const to = opts.price(row);
      if (to === null) {
        if (row.priceStatus === "unpriced") result.stillUnpriced++;
        else result.keptPriced++;
      } else if (row.priceStatus === "unpriced" || row.costMicros !== to.costMicros) changes.push({ row, to });
    }
    let applied = changes;
    if (!opts.dryRun && changes.length > 0) {
      const written = write(db, changes);
      applied = written.made;
      missingBucket ||= written.missingBucket;
    }
    for (const { row, to } of applied) {
      result.changed++;
      if (row.priceStatus === "unpriced") result.newlyPriced++;
      result.deltaMicros += to.costMicros - (row.costMicros ?? 0);
    }
    if (rows.length < batch) break;
  }
  if (missingBucket) {
    rebuildRollup(db);
    result.rollupRebuilt = true;
  }
  return result;
}
