// Opening db.sqlite: refuse what is not ours to touch, set the pragmas, migrate.

import { Database } from "bun:sqlite";
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { basename } from "node:path";
import { describe, sqliteCode, StoreError } from "./errors.ts";
import { migrate, preflight } from "./migrate.ts";
import { MIGRATIONS, type Migration } from "./schema.ts";

export interface Store {
  readonly db: Database;
  readonly path: string;
  readonly schemaVersion: number;
  /** The connection's normal busy_timeout; writers and maintenance lower it briefly and restore it. */
  readonly busyTimeoutMs: number;
  close(): void;
}

export interface OpenStoreOptions {
  /** How long a statement waits for another connection's lock. Default 5000. */
  busyTimeoutMs?: number;
  /** The schema steps; tests pass extra steps to exercise upgrades. */
  migrations?: readonly Migration[];
}

const SQLITE_MAGIC = "SQLite format 3\0";

function isMemory(path: string): boolean {
  return path === ":memory:" || path === "";
}

/** A non-empty file that does not start with SQLite's header is not ours: never open it for writing. */
function refuseForeignFile(path: string): void {
  if (isMemory(path) || !existsSync(path)) return;
  const stat = statSync(path);
  if (!stat.isFile()) {
    throw new StoreError("cannot-open", `${path} is not a regular file`, { hint: "move it aside; Halton Meter will create a fresh database" });
  }
  if (stat.size === 0) return; // SQLite treats an empty file as an empty database
  const head = Buffer.alloc(16);
  const fd = openSync(path, "r");
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString("latin1") !== SQLITE_MAGIC) {
    throw new StoreError("not-a-database", `${path} is not a SQLite database; Halton Meter left it untouched`, {
      hint: `move ${basename(path)} aside (it is not deleted or overwritten) and start again`,
    });
  }
}

function configure(db: Database, memory: boolean): void {
  if (!memory) {
    const mode = (db.query("PRAGMA journal_mode = WAL").get() as { journal_mode: string }).journal_mode;
    if (mode !== "wal") throw new Error(`journal_mode is ${mode}, not wal`);
  }
  db.run("PRAGMA synchronous = NORMAL");
  db.run("PRAGMA foreign_keys = ON");
}

export function openStore(path: string, opts: OpenStoreOptions = {}): Store {
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  refuseForeignFile(path);
  let db: Database;
  try {
    db = new Database(path, { create: true, readwrite: true, strict: true });
  } catch (err) {
    throw new StoreError("cannot-open", `cannot open ${path}: ${describe(err)}`, {
      cause: err,
      hint: "check that the directory exists and that you own it",
    });
  }
  try {
    const migrations = opts.migrations ?? MIGRATIONS;
    db.run(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    const found = preflight(db, path, migrations);
    configure(db, isMemory(path));
    const schemaVersion = migrate(db, path, migrations, found);
    return { db, path, schemaVersion, busyTimeoutMs, close: () => db.close() };
  } catch (err) {
    db.close();
    throw openFailure(err, path);
  }
}

/** What went wrong opening `path`, as a StoreError a person can act on. */
function openFailure(err: unknown, path: string): StoreError {
  if (err instanceof StoreError) return err;
  if (sqliteCode(err) === "SQLITE_NOTADB") return new StoreError("not-a-database", `${path} is not a SQLite database; Halton Meter left it untouched`, { cause: err });
  return new StoreError("cannot-open", `cannot open ${path}: ${describe(err)}`, { cause: err, hint: openHint(path, err) });
}

/**
 * Opens db.sqlite for reading only (reports, tail): never creates, migrates or locks it, so it works
 * beside a running daemon or without one. A file from an older build is read as it is (summaries
 * fall back to raw rows without the rollup); one from a newer build is refused.
 */
export function openStoreReadOnly(path: string, opts: Pick<OpenStoreOptions, "busyTimeoutMs" | "migrations"> = {}): Store {
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  if (!existsSync(path)) throw new StoreError("missing", `${path} does not exist yet`, { hint: "the daemon creates it when it captures its first request" });
  refuseForeignFile(path);
  let db: Database;
  try {
    db = new Database(path, { readonly: true, strict: true });
  } catch (err) {
    throw new StoreError("cannot-open", `cannot open ${path}: ${describe(err)}`, { cause: err, hint: "check that you own the file and its directory" });
  }
  try {
    db.run(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    const schemaVersion = preflight(db, path, opts.migrations ?? MIGRATIONS);
    if (schemaVersion === 0) throw new StoreError("missing", `${path} holds no tables yet`, { hint: "the daemon creates them when it starts" });
    return { db, path, schemaVersion, busyTimeoutMs, close: () => db.close() };
  } catch (err) {
    db.close();
    throw openFailure(err, path);
  }
}

/** A damaged file is kept for the user to move aside; anything else is usually ownership. */
function openHint(path: string, err: unknown): string {
  if (sqliteCode(err)?.startsWith("SQLITE_CORRUPT")) return `move ${basename(path)} aside (Halton Meter never deletes it) and start again; \`halton-meter doctor\` checks it`;
  return "check that you own the file and its directory";
}
