// WAL upkeep and health checks. A long reader (a report, the dashboard) stops checkpoints from
// reaching the end of the WAL, which then grows; the daemon calls maintain() from a timer.

import { existsSync, statSync } from "node:fs";
import type { Store } from "./open.ts";

export interface MaintainOptions {
  /** Above this WAL size, checkpoint with TRUNCATE to give the space back. Default 64 MiB. */
  truncateAboveBytes?: number;
}

export interface MaintainResult {
  mode: "passive" | "truncate";
  /** True when a reader or writer kept the checkpoint from finishing; the next call tries again. */
  busy: boolean;
  walBytesBefore: number;
  walBytesAfter: number;
}

/** Bytes in db.sqlite-wal right now (0 for an in-memory store or no WAL file). */
export function walBytes(store: Store): number {
  const wal = `${store.path}-wal`;
  return existsSync(wal) ? statSync(wal).size : 0;
}

/**
 * One checkpoint: PASSIVE normally, TRUNCATE once the WAL is larger than the threshold. It never
 * waits for other connections (busy_timeout is 0 for its duration): the daemon's event loop also
 * runs the proxy, so a busy checkpoint reports busy and is retried on the next call.
 */
export function maintain(store: Store, opts: MaintainOptions = {}): MaintainResult {
  const limit = opts.truncateAboveBytes ?? 64 * 1024 * 1024;
  const walBytesBefore = walBytes(store);
  const mode = walBytesBefore > limit ? "truncate" : "passive";
  const db = store.db;
  db.run("PRAGMA busy_timeout = 0");
  let busy: boolean;
  try {
    const row = db.query(`PRAGMA wal_checkpoint(${mode.toUpperCase()})`).get() as { busy: number } | null;
    busy = row?.busy === 1;
  } finally {
    db.run(`PRAGMA busy_timeout = ${store.busyTimeoutMs}`);
  }
  return { mode, busy, walBytesBefore, walBytesAfter: walBytes(store) };
}

export interface IntegrityResult {
  ok: boolean;
  /** SQLite's own words for each problem found. */
  problems: string[];
}

/** PRAGMA integrity_check (quick_check with quick: much faster on a large file) plus foreign keys. */
export function integrityCheck(store: Store, opts: { quick?: boolean } = {}): IntegrityResult {
  const pragma = opts.quick ? "quick_check" : "integrity_check";
  const rows = store.db.query(`PRAGMA ${pragma}`).values() as [string][];
  const problems = rows.map(([msg]) => msg).filter((msg) => msg !== "ok");
  const fk = store.db.query("PRAGMA foreign_key_check").all() as { table: string; rowid: number; parent: string }[];
  for (const f of fk) problems.push(`${f.table} row ${f.rowid} points at a missing ${f.parent} row`);
  return { ok: problems.length === 0, problems };
}
