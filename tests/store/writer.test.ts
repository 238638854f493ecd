// The capture writer, driven by manual timers: no test here sleeps.

import { describe, expect, test } from "bun:test";
import { countRows, createCaptureWriter, insertRows, openStore, StoreError } from "../../core/store/index.ts";
import { freshStorePerTest, makeRow, manualTimers } from "./_fixtures.ts";

const db = freshStorePerTest();

const ids = () => (db.store.db.query("SELECT exchange_id FROM requests ORDER BY id").values() as [string][]).map(([id]) => id);

describe("batching", () => {
  test("enqueue returns without writing; one timer commits the whole batch in one transaction", () => {
    const clock = manualTimers();
    const commits: number[] = [];
    const writer = createCaptureWriter(db.store, { timers: clock.timers, onCommit: (n) => commits.push(n) });
    for (let i = 0; i < 3; i++) writer.enqueue(makeRow(i));
    expect(countRows(db.store)).toBe(0);
    expect(clock.delays()).toEqual([25]);
    expect(writer.stats().queued).toBe(3);
    clock.fire();
    expect(countRows(db.store)).toBe(3);
    expect(commits).toEqual([3]);
    expect(writer.stats()).toEqual({ queued: 0, committed: 3, dropped: 0, failedFlushes: 0, lastError: null });
    expect(clock.delays()).toEqual([]);
  });

  test("enqueue never touches the database, even one that refuses writes", () => {
    const clock = manualTimers();
    const writer = createCaptureWriter(db.store, { timers: clock.timers, onError: () => {} });
    db.store.db.run("PRAGMA query_only = ON");
    expect(() => writer.enqueue(makeRow(1))).not.toThrow();
    expect(writer.stats().failedFlushes).toBe(0);
  });

  test("large backlogs go in transactions of maxBatch rows, in order, one per timer", () => {
    const clock = manualTimers();
    const commits: number[] = [];
    const writer = createCaptureWriter(db.store, { timers: clock.timers, maxBatch: 4, onCommit: (n) => commits.push(n) });
    for (let i = 0; i < 10; i++) writer.enqueue(makeRow(i));
    expect(clock.fire() + clock.fire() + clock.fire() + clock.fire()).toBe(3);
    expect(commits).toEqual([4, 4, 2]);
    expect(ids()).toEqual(Array.from({ length: 10 }, (_, i) => `ex-${i}`));
  });

  test("flush commits at once and cancels the timer", () => {
    const clock = manualTimers();
    const writer = createCaptureWriter(db.store, { timers: clock.timers, flushIntervalMs: 10 });
    writer.enqueue(makeRow(1));
    expect(clock.delays()).toEqual([10]);
    expect(writer.flush()).toEqual({ committed: 1, pending: 0, error: null });
    expect(clock.delays()).toEqual([]);
    expect(countRows(db.store)).toBe(1);
  });
});

describe("idempotency", () => {
  test("a retried exchange_id never adds a second row", () => {
    const clock = manualTimers();
    const writer = createCaptureWriter(db.store, { timers: clock.timers });
    writer.enqueue(makeRow(1));
    writer.enqueue(makeRow(1, { note: "retry" }));
    writer.flush();
    expect(insertRows(db.store, [makeRow(1), makeRow(2)])).toEqual({ inserted: 1, duplicates: 1 });
    expect(countRows(db.store)).toBe(2);
    expect(db.store.db.query("SELECT note FROM requests WHERE exchange_id = 'ex-1'").get()).toEqual({ note: null });
  });
});

describe("failures", () => {
  test("a read-only database keeps rows queued, reports, backs off, and writes them once writable", () => {
    const clock = manualTimers();
    const errors: StoreError[] = [];
    const writer = createCaptureWriter(db.store, { timers: clock.timers, onError: (e) => errors.push(e) });
    // query_only gives the same SQLITE_READONLY a read-only file does (tests run as root, where
    // file modes do not stop writes).
    db.store.db.run("PRAGMA query_only = ON");
    for (let i = 0; i < 5; i++) writer.enqueue(makeRow(i));
    clock.fire();
    expect(errors.map((e) => e.code)).toEqual(["write-failed"]);
    expect(errors[0]!.message).toContain("SQLITE_READONLY");
    expect(errors[0]!.message).toContain("5 kept queued");
    expect(writer.stats()).toMatchObject({ queued: 5, committed: 0, failedFlushes: 1 });
    expect(clock.delays()).toEqual([50]);
    clock.fire();
    expect(clock.delays()).toEqual([100]);
    writer.enqueue(makeRow(5)); // a pending retry is not hurried by new rows
    expect(clock.delays()).toEqual([100]);

    db.store.db.run("PRAGMA query_only = OFF");
    clock.fire();
    expect(ids()).toEqual(["ex-0", "ex-1", "ex-2", "ex-3", "ex-4", "ex-5"]);
    expect(writer.stats()).toMatchObject({ queued: 0, committed: 6, dropped: 0 });
    writer.enqueue(makeRow(6));
    expect(clock.delays()).toEqual([25]); // back to the normal interval
  });

  test("a full disk keeps rows queued until space comes back", () => {
    const clock = manualTimers();
    const errors: StoreError[] = [];
    const writer = createCaptureWriter(db.store, { timers: clock.timers, onError: (e) => errors.push(e) });
    const pages = (db.store.db.query("PRAGMA page_count").get() as { page_count: number }).page_count;
    db.store.db.run(`PRAGMA max_page_count = ${pages}`);
    const big = "x".repeat(8000);
    for (let i = 0; i < 20; i++) writer.enqueue(makeRow(i, { note: big }));
    clock.fire();
    expect(errors[0]!.message).toContain("SQLITE_FULL");
    expect(countRows(db.store)).toBe(0);
    db.store.db.run("PRAGMA max_page_count = 1000000");
    clock.fire();
    expect(countRows(db.store)).toBe(20);
  });

  test("the queue is bounded: beyond maxQueue the oldest rows are dropped and counted", () => {
    const clock = manualTimers();
    const errors: StoreError[] = [];
    const writer = createCaptureWriter(db.store, { timers: clock.timers, maxQueue: 5, onError: (e) => errors.push(e) });
    db.store.db.run("PRAGMA query_only = ON");
    for (let i = 0; i < 8; i++) writer.enqueue(makeRow(i));
    expect(writer.stats()).toMatchObject({ queued: 5, dropped: 3 });
    expect(errors[0]!.code).toBe("queue-overflow");
    db.store.db.run("PRAGMA query_only = OFF");
    writer.flush();
    expect(ids()).toEqual(["ex-3", "ex-4", "ex-5", "ex-6", "ex-7"]);
  });

  test("a row SQLite refuses is dropped alone; the rest of its batch is written", () => {
    const clock = manualTimers();
    const errors: StoreError[] = [];
    const writer = createCaptureWriter(db.store, { timers: clock.timers, onError: (e) => errors.push(e) });
    writer.enqueue(makeRow(1));
    writer.enqueue(makeRow(2, { priceStatus: "unpriced" })); // cost present on an unpriced row: CHECK fails
    writer.enqueue(makeRow(3));
    clock.fire();
    expect(ids()).toEqual(["ex-1", "ex-3"]);
    expect(errors.map((e) => e.code)).toEqual(["rows-rejected"]);
    expect(errors[0]!.message).toContain("ex-2");
    expect(writer.stats()).toMatchObject({ queued: 0, committed: 2, dropped: 1 });
  });

  test("a closed connection under the writer keeps the rows rather than dropping them", () => {
    const clock = manualTimers();
    const errors: StoreError[] = [];
    const other = openStore(db.tmp.path("other.sqlite"));
    const writer = createCaptureWriter(other, { timers: clock.timers, onError: (e) => errors.push(e) });
    other.close();
    writer.enqueue(makeRow(1));
    clock.fire();
    expect(writer.stats()).toMatchObject({ queued: 1, dropped: 0 });
    expect(errors[0]!.code).toBe("write-failed");
  });

  test("onError and onCommit that throw do not break the writer", () => {
    const clock = manualTimers();
    const writer = createCaptureWriter(db.store, {
      timers: clock.timers,
      onCommit: () => {
        throw new Error("observer bug");
      },
      onError: () => {
        throw new Error("handler bug");
      },
    });
    writer.enqueue(makeRow(1));
    expect(() => clock.fire()).not.toThrow();
    db.store.db.run("PRAGMA query_only = ON");
    writer.enqueue(makeRow(2));
    expect(() => clock.fire()).not.toThrow();
    expect(writer.stats()).toMatchObject({ committed: 1, queued: 1 });
  });
});

describe("close", () => {
  test("close flushes; rows after close are dropped and reported, never thrown", () => {
    const clock = manualTimers();
    const errors: StoreError[] = [];
    const writer = createCaptureWriter(db.store, { timers: clock.timers, onError: (e) => errors.push(e) });
    writer.enqueue(makeRow(1));
    expect(writer.close()).toEqual({ committed: 1, pending: 0, error: null });
    expect(() => writer.enqueue(makeRow(2))).not.toThrow();
    expect(clock.delays()).toEqual([]);
    expect(countRows(db.store)).toBe(1);
    expect(writer.stats().dropped).toBe(1);
    expect(errors).toHaveLength(1);
  });

  test("with real timers, a row is committed well within 100 ms", async () => {
    let resolve!: (total: number) => void;
    const committed = new Promise<number>((r) => (resolve = r));
    const started = performance.now();
    const writer = createCaptureWriter(db.store, { flushIntervalMs: 5, onCommit: (_n, total) => resolve(total) });
    writer.enqueue(makeRow(1));
    expect(await committed).toBe(1);
    expect(performance.now() - started).toBeLessThan(100);
    writer.close();
  });
});
