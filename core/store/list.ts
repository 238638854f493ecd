// Request listing, newest first, with keyset pagination on (started_at, id).

import type { Store } from "./open.ts";
import { StoreError } from "./errors.ts";
import { whereClause, type RequestFilter } from "./filters.ts";
import { toRecord, type RequestRecord, type SqlRequestRow } from "./rows.ts";

export interface ListOptions extends RequestFilter {
  /** Default 100, at most 1000. */
  limit?: number;
  /** nextCursor from the previous page. */
  cursor?: string | null;
}

export interface RequestPage {
  rows: RequestRecord[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

function encodeCursor(startedAt: number, id: number): string {
  return Buffer.from(`${startedAt}:${id}`).toString("base64url");
}

function decodeCursor(cursor: string): [startedAt: number, id: number] {
  const match = /^(-?\d+):(\d+)$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match) throw new StoreError("invalid-cursor", "invalid page cursor: pass back the nextCursor of the previous page");
  return [Number(match[1]), Number(match[2])];
}

export function listRequests(store: Store, opts: ListOptions = {}): RequestPage {
  const wanted = opts.limit ?? 100;
  const limit = Number.isFinite(wanted) ? Math.max(1, Math.min(1000, Math.trunc(wanted))) : 100;
  const after = opts.cursor ? decodeCursor(opts.cursor) : null;
  const { sql, params } = after ? whereClause(opts, ["(started_at, id) < (?, ?)"], after) : whereClause(opts);
  const rows = store.db.query(`SELECT * FROM requests ${sql} ORDER BY started_at DESC, id DESC LIMIT ?`).all(...params, limit + 1) as SqlRequestRow[];
  const page = rows.slice(0, limit).map(toRecord);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor(last.startedAt, last.id) : null };
}

export function countRows(store: Store, filter: RequestFilter = {}): number {
  const { sql, params } = whereClause(filter);
  return (store.db.query(`SELECT COUNT(*) AS n FROM requests ${sql}`).get(...params) as { n: number }).n;
}

/** Rows with an id above `afterId`, oldest first: a live cursor (ids only grow; a commit is atomic). */
export function requestsAfter(store: Store, afterId: number, filter: RequestFilter = {}, limit = 500): RequestRecord[] {
  const { sql, params } = whereClause(filter, ["id > ?"], [afterId], true);
  return (store.db.query(`SELECT * FROM requests ${sql} ORDER BY id LIMIT ?`).all(...params, limit) as SqlRequestRow[]).map(toRecord);
}

/** The last `limit` rows with an id at or below `throughId`, oldest first (tail's backlog). */
export function recentRequests(store: Store, throughId: number, filter: RequestFilter = {}, limit = 10): RequestRecord[] {
  const { sql, params } = whereClause(filter, ["id <= ?"], [throughId], true);
  const rows = store.db.query(`SELECT * FROM requests ${sql} ORDER BY id DESC LIMIT ?`).all(...params, limit) as SqlRequestRow[];
  return rows.reverse().map(toRecord);
}

/** The newest row's id; 0 for an empty table. */
export function lastRequestId(store: Store): number {
  return (store.db.query("SELECT COALESCE(MAX(id), 0) AS id FROM requests").get() as { id: number }).id;
}
