// Disk full loses nothing (issue 13.7): while db.sqlite cannot be written the proxy keeps
// enqueueing, rows wait in a bounded queue, and once space returns every waiting row and every
// later row is committed, seen from another connection. Catching up holds the event loop (the
// daemon's loop also relays every stream) for one small transaction, then leaves it as long again.

import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { createCaptureWriter, StoreError } from "../../core/store/index.ts";
import { freshStorePerTest, makeRow, manualTimers } from "./_fixtures.ts";

const db = freshStorePerTest();

/** The committed rows as another process sees them: a second connection, not the writer's. */
function committedIds(): string[] {
  const other = new Database(db.store.path, { readonly: true });
  try {
    return (other.query("SELECT exchange_id FROM requests ORDER BY id").values() as [string][]).map(([id]) => id);
  } finally {
    other.close();
  }
}

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `ex-${from + i}`);
const pageCount = () => (db.store.db.query("PRAGMA page_count").get() as { page_count: number }).page_count;
/** SQLite's own SQLITE_FULL: the file may not grow past the pages it has now. */
const fillDisk = () => db.store.db.run(`PRAGMA max_page_count = ${pageCount()}`);
const giveSpaceBack = () => db.store.db.run("PRAGMA max_page_count = 4294967294");
const note = "x".repeat(6000);

describe("a full disk", () => {
  test("keeps enqueue silent, then commits every waiting row and every later one", () => {
    const clock = manualTimers();
    const errors: StoreError[] = [];
    const writer = createCaptureWriter(db.store, { timers: clock.timers, onError: (e) => errors.push(e) });
    writer.enqueue(makeRow(0));
    clock.fire();
    fillDisk();
    for (let i = 1; i <= 30; i++) expect(() => writer.enqueue(makeRow(i, { note }))).not.toThrow();
    clock.fire();
    clock.fire();
    expect(committedIds()).toEqual(["ex-0"]);
    expect(writer.stats()).toMatchObject({ queued: 30, committed: 1, dropped: 0, failedFlushes: 2 });
    expect(writer.stats().lastError).toContain("SQLITE_FULL");
    expect(errors.map((e) => e.code)).toEqual(["write-failed", "write-failed"]);

    giveSpaceBack();
    writer.enqueue(makeRow(31)); // made after space came back, before the retry fired
    clock.fire();
    for (let i = 32; i < 40; i++) {
      writer.enqueue(makeRow(i, { note }));
      clock.fire();
    }
    expect(committedIds()).toEqual(ids(0, 40));
    expect(writer.stats()).toEqual({ queued: 0, committed: 40, dropped: 0, failedFlushes: 2, lastError: null });
    expect(clock.delays()).toEqual([]);
  });

  test("a disk that fills again mid catch-up keeps the rest queued, in order", () => {
    const clock = manualTimers();
    const writer = createCaptureWriter(db.store, { timers: clock.timers, maxBatch: 10, onError: () => {} });
    fillDisk();
    for (let i = 0; i < 25; i++) writer.enqueue(makeRow(i, { note }));
    clock.fire();
    giveSpaceBack();
    clock.fire(); // one batch of 10
    fillDisk();
    clock.fire();
    expect(committedIds()).toEqual(ids(0, 10));
    expect(writer.stats()).toMatchObject({ queued: 15, committed: 10 });
    giveSpaceBack();
    writer.enqueue(makeRow(25));
    while (clock.fire() > 0);
    expect(committedIds()).toEqual(ids(0, 26));
  });
});

describe("catching up", () => {
  test("one transaction, then a pause as long as it took, until the backlog is written", () => {
    const clock = manualTimers();
    const commits: number[] = [];
    let ms = 0;
    const took = [7, 3];
    const onCommit = (n: number) => {
      commits.push(n);
      ms += took.shift() ?? 0;
    };
    const writer = createCaptureWriter(db.store, { timers: clock.timers, now: () => ms, maxBatch: 100, onError: () => {}, onCommit });
    fillDisk();
    for (let i = 0; i < 250; i++) writer.enqueue(makeRow(i));
    clock.fire();
    giveSpaceBack();
    clock.fire();
    expect(commits).toEqual([100]);
    expect(clock.delays()).toEqual([7]);
    writer.enqueue(makeRow(250)); // arrives between two transactions: queued behind the backlog
    expect(clock.delays()).toEqual([7]);
    clock.fire();
    expect(clock.delays()).toEqual([3]);
    clock.fire();
    expect(commits).toEqual([100, 100, 51]);
    expect(clock.delays()).toEqual([]);
    expect(committedIds()).toEqual(ids(0, 251));
  });

  test("a transaction holds about maxBatchBytes of bodies, and a larger row goes alone", () => {
    const clock = manualTimers();
    const commits: number[] = [];
    const writer = createCaptureWriter(db.store, { timers: clock.timers, maxBatchBytes: 64 * 1024, onCommit: (n) => commits.push(n) });
    const body = (kib: number) => ({ bodies: { request: "q".repeat(kib * 512), response: "r".repeat(kib * 512) } });
    for (let i = 0; i < 10; i++) writer.enqueue(makeRow(i, body(20)));
    writer.enqueue(makeRow(10, body(200)));
    writer.enqueue(makeRow(11));
    while (clock.fire() > 0);
    expect(commits).toEqual([3, 3, 3, 1, 1, 1]);
    expect(committedIds()).toEqual(ids(0, 12));
  });

  test("flush still commits everything at once (shutdown)", () => {
    const clock = manualTimers();
    const writer = createCaptureWriter(db.store, { timers: clock.timers, maxBatch: 10 });
    for (let i = 0; i < 35; i++) writer.enqueue(makeRow(i));
    expect(writer.flush()).toEqual({ committed: 35, pending: 0, error: null });
    expect(clock.delays()).toEqual([]);
  });
});

describe("a queue that overflows", () => {
  test("drops the oldest, counts them, and says so once when it starts and once when writing resumes", () => {
    const clock = manualTimers();
    const errors: StoreError[] = [];
    const writer = createCaptureWriter(db.store, { timers: clock.timers, maxQueue: 50, onError: (e) => errors.push(e) });
    fillDisk();
    for (let i = 0; i < 2500; i++) writer.enqueue(makeRow(i));
    clock.fire();
    expect(writer.stats()).toMatchObject({ queued: 50, dropped: 2450 });
    expect(errors.map((e) => e.code)).toEqual(["queue-overflow", "write-failed"]);
    expect(errors[0]!.message).toContain("50 rows");

    giveSpaceBack();
    clock.fire();
    expect(errors.map((e) => e.code)).toEqual(["queue-overflow", "write-failed", "queue-overflow"]);
    expect(errors[2]!.message).toContain("2450 captured requests were dropped");
    expect(errors[2]!.hint).toContain("queue_max_rows");
    expect(committedIds()).toEqual(ids(2450, 2500));

    // A second burst is reported on its own, with the total since start.
    fillDisk();
    for (let i = 2500; i < 2560; i++) writer.enqueue(makeRow(i));
    clock.fire();
    giveSpaceBack();
    clock.fire();
    const overflows = errors.filter((e) => e.code === "queue-overflow");
    expect(overflows).toHaveLength(4);
    expect(overflows[3]!.message).toContain("10 captured requests were dropped");
    expect(overflows[3]!.message).toContain("2460 dropped since start");
    expect(writer.stats()).toMatchObject({ queued: 0, dropped: 2460, lastError: null });
  });
});
