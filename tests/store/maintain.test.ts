import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { insertRows, integrityCheck, maintain, openStore, walBytes } from "../../core/store/index.ts";
import { freshStorePerTest, makeRow } from "./_fixtures.ts";

const db = freshStorePerTest();
let next = 0;

function writeRows(n: number): void {
  for (let i = 0; i < n; i += 100) insertRows(db.store, Array.from({ length: 100 }, () => makeRow(next++, { note: "n".repeat(400) })));
}

const MiB = 1024 * 1024;

describe("WAL checkpoints", () => {
  test("a long reader lets the WAL grow; once it lets go, maintain() truncates it to nothing", () => {
    const reader = new Database(db.tmp.path("db.sqlite"), { readonly: true });
    reader.run("BEGIN");
    reader.query("SELECT COUNT(*) FROM requests").get(); // holds a snapshot: checkpoints cannot pass it
    writeRows(10_000);
    const grown = walBytes(db.store);
    expect(grown).toBeGreaterThan(4 * MiB);

    const blocked = maintain(db.store, { truncateAboveBytes: MiB });
    expect(blocked).toMatchObject({ mode: "truncate", busy: true });
    expect(blocked.walBytesAfter).toBeGreaterThanOrEqual(grown);

    reader.run("COMMIT");
    const freed = maintain(db.store, { truncateAboveBytes: MiB });
    expect(freed).toMatchObject({ mode: "truncate", busy: false, walBytesAfter: 0 });
    reader.close();
  });

  test("maintain() never waits: a busy checkpoint returns at once even with busy_timeout 5000", () => {
    const reader = new Database(db.tmp.path("db.sqlite"), { readonly: true });
    reader.run("BEGIN");
    reader.query("SELECT COUNT(*) FROM requests").get();
    writeRows(3_000);
    const started = performance.now();
    expect(maintain(db.store, { truncateAboveBytes: 0 }).busy).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    expect((db.store.db.query("PRAGMA busy_timeout").get() as { timeout: number }).timeout).toBe(5000);
    reader.run("COMMIT");
    reader.close();
  });

  test("periodic passive checkpoints keep the WAL from growing while writes continue", () => {
    const sizes: number[] = [];
    for (let round = 0; round < 20; round++) {
      writeRows(1_000);
      maintain(db.store, { truncateAboveBytes: 8 * MiB });
      sizes.push(walBytes(db.store));
    }
    // Each round writes ~0.6 MiB; with checkpoints the WAL is reused from its start instead of growing.
    expect(Math.max(...sizes)).toBeLessThan(5 * MiB);
    expect(sizes.at(-1)!).toBeLessThanOrEqual(sizes[4]! + MiB);
  });

  test("integrityCheck reports a healthy file", () => {
    writeRows(200);
    expect(integrityCheck(db.store)).toEqual({ ok: true, problems: [] });
    expect(integrityCheck(db.store, { quick: true }).ok).toBe(true);
  });

  test("an in-memory db.store has no WAL", () => {
    const mem = openStore(":memory:");
    expect(walBytes(mem)).toBe(0);
    expect(maintain(mem).busy).toBe(false);
    mem.close();
  });
});
