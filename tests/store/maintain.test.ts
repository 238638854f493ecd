import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { insertRows, integrityCheck, maintain, openStore, walBytes, type Store } from "../../core/store/index.ts";
import { makeRow, tempDir } from "./_fixtures.ts";

let tmp: ReturnType<typeof tempDir>;
let store: Store;
let next = 0;
beforeEach(() => {
  tmp = tempDir();
  store = openStore(tmp.path("db.sqlite"));
});
afterEach(() => {
  store.close();
  tmp.remove();
});

function writeRows(n: number): void {
  for (let i = 0; i < n; i += 100) insertRows(store, Array.from({ length: 100 }, () => makeRow(next++, { note: "n".repeat(400) })));
}

const MiB = 1024 * 1024;

describe("WAL checkpoints", () => {
  test("a long reader lets the WAL grow; once it lets go, maintain() truncates it to nothing", () => {
    const reader = new Database(tmp.path("db.sqlite"), { readonly: true });
    reader.run("BEGIN");
    reader.query("SELECT COUNT(*) FROM requests").get(); // holds a snapshot: checkpoints cannot pass it
    writeRows(10_000);
    const grown = walBytes(store);
    expect(grown).toBeGreaterThan(4 * MiB);

    const blocked = maintain(store, { truncateAboveBytes: MiB });
    expect(blocked).toMatchObject({ mode: "truncate", busy: true });
    expect(blocked.walBytesAfter).toBeGreaterThanOrEqual(grown);

    reader.run("COMMIT");
    const freed = maintain(store, { truncateAboveBytes: MiB });
    expect(freed).toMatchObject({ mode: "truncate", busy: false, walBytesAfter: 0 });
    reader.close();
  });

  test("maintain() never waits: a busy checkpoint returns at once even with busy_timeout 5000", () => {
    const reader = new Database(tmp.path("db.sqlite"), { readonly: true });
    reader.run("BEGIN");
    reader.query("SELECT COUNT(*) FROM requests").get();
    writeRows(3_000);
    const started = performance.now();
    expect(maintain(store, { truncateAboveBytes: 0 }).busy).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    expect((store.db.query("PRAGMA busy_timeout").get() as { timeout: number }).timeout).toBe(5000);
    reader.run("COMMIT");
    reader.close();
  });

  test("periodic passive checkpoints keep the WAL from growing while writes continue", () => {
    const sizes: number[] = [];
    for (let round = 0; round < 20; round++) {
      writeRows(1_000);
      maintain(store, { truncateAboveBytes: 8 * MiB });
      sizes.push(walBytes(store));
    }
    // Each round writes ~0.6 MiB; with checkpoints the WAL is reused from its start instead of growing.
    expect(Math.max(...sizes)).toBeLessThan(5 * MiB);
    expect(sizes.at(-1)!).toBeLessThanOrEqual(sizes[4]! + MiB);
  });

  test("integrityCheck reports a healthy file", () => {
    writeRows(200);
    expect(integrityCheck(store)).toEqual({ ok: true, problems: [] });
    expect(integrityCheck(store, { quick: true }).ok).toBe(true);
  });

  test("an in-memory store has no WAL", () => {
    const mem = openStore(":memory:");
    expect(walBytes(mem)).toBe(0);
    expect(maintain(mem).busy).toBe(false);
    mem.close();
  });
});
