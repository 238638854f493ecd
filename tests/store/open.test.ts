import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { countRows, insertRows, MIGRATIONS, openStore, StoreError, type Store } from "../../core/store/index.ts";
import { makeRow, tempDir } from "./_fixtures.ts";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

function openError(fn: () => Store): StoreError {
  try {
    fn().close();
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error("expected a StoreError");
}

const sha = (path: string) => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");

describe("openStore", () => {
  test("a new database gets WAL, busy_timeout 5000, synchronous NORMAL, foreign keys and the current schema", () => {
    const store = openStore(tmp.path("db.sqlite"));
    const pragma = (name: string) => Object.values(store.db.query(`PRAGMA ${name}`).get() as object)[0];
    expect(pragma("journal_mode")).toBe("wal");
    expect(pragma("busy_timeout")).toBe(5000);
    expect(pragma("synchronous")).toBe(1);
    expect(pragma("foreign_keys")).toBe(1);
    expect(pragma("user_version")).toBe(MIGRATIONS.length);
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    store.close();
  });

  test("an old database is upgraded in place and keeps its rows", () => {
    const path = tmp.path("db.sqlite");
    // What a build that knew only schema 1 left behind.
    const old = new Database(path);
    old.run("PRAGMA journal_mode = WAL");
    old.run(MIGRATIONS[0]!.sql);
    old.run("PRAGMA user_version = 1");
    old.close();
    const v1 = openStore(path);
    insertRows(v1, [makeRow(1), makeRow(2)]);
    v1.close();

    const next = MIGRATIONS.length + 1;
    const withTags = [...MIGRATIONS, { version: next, description: "test: tags", sql: "ALTER TABLE requests ADD COLUMN tags TEXT; CREATE INDEX requests_tags ON requests (tags);" }];
    const store = openStore(path, { migrations: withTags });
    expect(store.schemaVersion).toBe(next);
    expect(countRows(store)).toBe(2);
    expect(store.db.query("SELECT exchange_id, tags FROM requests ORDER BY id").all()).toEqual([
      { exchange_id: "ex-1", tags: null },
      { exchange_id: "ex-2", tags: null },
    ]);
    store.close();
  });

  test("a failing upgrade rolls back whole: the file keeps its old schema and rows", () => {
    const path = tmp.path("db.sqlite");
    const v1 = openStore(path);
    insertRows(v1, [makeRow(1)]);
    v1.close();
    const known = MIGRATIONS.length;
    const broken = [
      ...MIGRATIONS,
      { version: known + 1, description: "fine", sql: "CREATE TABLE extra (x INTEGER)" },
      { version: known + 2, description: "broken", sql: "ALTER TABLE no_such_table ADD COLUMN y TEXT" },
    ];
    const err = openError(() => openStore(path, { migrations: broken }));
    expect(err.code).toBe("migration-failed");
    expect(err.message).toContain(`from schema ${known} to ${known + 2}`);
    const store = openStore(path);
    expect(store.schemaVersion).toBe(known);
    expect(store.db.query("SELECT name FROM sqlite_schema WHERE name = 'extra'").get()).toBeNull();
    expect(countRows(store)).toBe(1);
    store.close();
  });

  test("a database from a newer build is refused, untouched, with a clear message", () => {
    const path = tmp.path("db.sqlite");
    openStore(path).close();
    const db = new Database(path);
    db.run("PRAGMA user_version = 7");
    db.close();
    const before = sha(path);
    const err = openError(() => openStore(path));
    expect(err.code).toBe("newer-schema");
    expect(err.message).toBe(`db.sqlite was written by a newer Halton Meter (schema 7, this build knows ${MIGRATIONS.length}): upgrade halton-meter`);
    expect(sha(path)).toBe(before);
  });

  test("a file that is not SQLite is refused and left byte-for-byte as it was", () => {
    const path = tmp.path("db.sqlite");
    writeFileSync(path, "these are my notes, not a database\n".repeat(200));
    const before = sha(path);
    const err = openError(() => openStore(path));
    expect(err.code).toBe("not-a-database");
    expect(err.message).toContain("is not a SQLite database");
    expect(sha(path)).toBe(before);
    expect(existsSync(`${path}-wal`) || existsSync(`${path}-shm`)).toBe(false);
  });

  test("a SQLite file with somebody else's tables is refused, untouched", () => {
    const path = tmp.path("db.sqlite");
    const db = new Database(path);
    db.run("CREATE TABLE flows (id INTEGER PRIMARY KEY, url TEXT)");
    db.close();
    const before = sha(path);
    const err = openError(() => openStore(path));
    expect(err.code).toBe("unknown-schema");
    expect(err.message).toContain("(flows)");
    expect(sha(path)).toBe(before);
  });

  test("a missing directory or a directory in the way is cannot-open, with a hint", () => {
    expect(openError(() => openStore(tmp.path("nope/db.sqlite"))).code).toBe("cannot-open");
    mkdirSync(tmp.path("dir.sqlite"));
    const err = openError(() => openStore(tmp.path("dir.sqlite")));
    expect(err.code).toBe("cannot-open");
    expect(err.hint).not.toBeNull();
  });

  test("an empty file is a new database", () => {
    const path = tmp.path("db.sqlite");
    writeFileSync(path, "");
    const store = openStore(path);
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    store.close();
  });

  test("in-memory stores work for tests of other modules", () => {
    const store = openStore(":memory:");
    insertRows(store, [makeRow(1)]);
    expect(countRows(store)).toBe(1);
    store.close();
  });
});
