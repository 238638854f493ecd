// Optional body capture: how much is kept, and getting rid of it.

import type { Store } from "./open.ts";

export interface BodiesStats {
  count: number;
  /** Body text bytes (request + response), not counting SQLite's page overhead. */
  bytes: number;
  /** created_at of the oldest kept body, epoch ms. */
  oldestAt: number | null;
}

export function bodiesStats(store: Store): BodiesStats {
  const row = store.db
    .query("SELECT COUNT(*) AS count, COALESCE(SUM(request_bytes + response_bytes), 0) AS bytes, MIN(created_at) AS oldest FROM bodies")
    .get() as { count: number; bytes: number; oldest: number | null };
  return { count: row.count, bytes: row.bytes, oldestAt: row.oldest };
}

export interface PurgeOptions {
  /** Only bodies older than this many ms; omitted: all of them. */
  olderThanMs?: number;
  /** VACUUM afterwards to give the space back to the disk. It blocks the database while it runs. */
  vacuum?: boolean;
  now?: number;
}

export function purgeBodies(store: Store, opts: PurgeOptions = {}): { deleted: number; vacuumed: boolean } {
  const { changes } =
    opts.olderThanMs === undefined
      ? store.db.run("DELETE FROM bodies")
      : store.db.run("DELETE FROM bodies WHERE created_at < ?", [(opts.now ?? Date.now()) - opts.olderThanMs]);
  if (opts.vacuum) store.db.run("VACUUM");
  return { deleted: changes, vacuumed: opts.vacuum === true };
}
