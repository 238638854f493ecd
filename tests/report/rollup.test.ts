// The daily rollup behind summaries: exact against a naive computation for ranges that start and
// end mid-day, across time-zone changes, with rows it has not folded yet, after the schema-2
// migration backfills it, and without it (an older file opened read-only).

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { binOf, binRange, BIN_COUNT } from "../../core/store/_histogram.ts";
import { checkRollup, insertRows, MIGRATIONS, openStore, openStoreReadOnly, rebuildRollup, summary, type RequestRow, type Store } from "../../core/store/index.ts";
import { schemaOneFile } from "../store/_fixtures.ts";
import { DAY, expected, HOUR, NOW, seedRows, tempDir } from "./_seed.ts";

const savedTz = process.env.TZ;
let tmp: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(() => {
  tmp = tempDir("hm-rollup-");
  store = openStore(tmp.path("db.sqlite"));
});
afterEach(() => {
  process.env.TZ = savedTz;
  store.close();
  tmp.remove();
});

const RANGES: Array<[string, number | undefined, number | undefined]> = [
  ["all time", undefined, undefined],
  ["mid-day to mid-day", NOW - 17 * DAY - 5 * HOUR, NOW - 3 * DAY + 7 * HOUR],
  ["open end", NOW - 9 * DAY - 1, undefined],
  ["inside one day", NOW - 5 * DAY + HOUR, NOW - 5 * DAY + 9 * HOUR],
  // Where the "older build" test below leaves rows unfolded, edges and whole days alike.
  ["mid-day, early on", NOW - 33 * DAY + 5 * HOUR, NOW - 29 * DAY - 3 * HOUR],
];

function check(rows: RequestRow[], s: Store = store): void {
  for (const [, since, until] of RANGES) {
    const inRange = rows.filter((r) => (since === undefined || r.startedAt >= since) && (until === undefined || r.startedAt < until));
    expect(summary(s, { since, until })[0]).toMatchObject(expected(inRange));
    for (const g of summary(s, { since, until, groupBy: "project" })) expect(g).toMatchObject(expected(inRange.filter((r) => (r.project ?? null) === g.key)));
    const days = summary(s, { since, until, groupBy: "day" });
    expect(days.reduce((n, d) => n + d.requests, 0)).toBe(inRange.length);
  }
}

describe("summary over the rollup", () => {
  test("matches the raw rows for every kind of range", () => {
    const rows = seedRows();
    insertRows(store, rows.slice(0, 150));
    insertRows(store, rows.slice(150));
    check(rows);
    expect(checkRollup(store.db)).toEqual({ rolledUp: rows.length, rows: rows.length, pending: 0 });
  });

  test("rolled up in one time zone, read by day in another", () => {
    process.env.TZ = "UTC";
    const rows = seedRows();
    insertRows(store, rows);
    for (const tz of ["Asia/Kolkata", "America/New_York", "Australia/Lord_Howe"]) {
      process.env.TZ = tz;
      const byDay = summary(store, { groupBy: "day", since: NOW - 20 * DAY });
      const want = new Map<string, RequestRow[]>();
      for (const r of rows.filter((r) => r.startedAt >= NOW - 20 * DAY)) {
        const d = new Date(r.startedAt);
        const key = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
        want.set(key, [...(want.get(key) ?? []), r]);
      }
      expect(byDay.map((d) => d.key)).toEqual([...want.keys()].sort());
      for (const d of byDay) expect(d).toMatchObject(expected(want.get(d.key!)!));
    }
  });

  test("days rolled up before and after a time-zone change overlap, and still add up", () => {
    const rows = seedRows();
    process.env.TZ = "UTC";
    insertRows(store, rows.filter((_, i) => i % 2 === 0));
    process.env.TZ = "America/Los_Angeles";
    insertRows(store, rows.filter((_, i) => i % 2 === 1));
    process.env.TZ = "Europe/Berlin";
    check(rows);
  });

  test("rows an older build wrote without folding are counted, then folded by the next write", () => {
    const rows = seedRows(120);
    insertRows(store, rows.slice(0, 60));
    const raw = store.db.query("INSERT INTO requests (exchange_id, started_at, provider, host, method, path, model, input_tokens, output_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, reasoning_tokens, cost_micros, price_status, latency_ms, project, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const r of rows.slice(60, 119)) {
      const t = r.tokens;
      raw.run(r.exchangeId, r.startedAt, r.provider, r.host, r.method, r.path, r.model ?? null, t.input, t.output, t.cacheRead, t.cacheWrite5m, t.cacheWrite1h, t.reasoning, r.costMicros ?? null, r.priceStatus, r.latencyMs ?? null, r.project ?? null, r.client ?? null);
    }
    expect(checkRollup(store.db)).toEqual({ rolledUp: 60, rows: 60, pending: 59 });
    check(rows.slice(0, 119));
    insertRows(store, rows.slice(119));
    expect(checkRollup(store.db)).toEqual({ rolledUp: 120, rows: 120, pending: 0 });
    check(rows);
  });

  test("a rebuilt rollup answers the same", () => {
    const rows = seedRows();
    insertRows(store, rows);
    store.db.run("UPDATE request_rollups SET requests = requests + 5");
    expect(checkRollup(store.db)!.rolledUp).not.toBe(rows.length);
    expect(rebuildRollup(store.db)).toBe(rows.length);
    expect(checkRollup(store.db)).toEqual({ rolledUp: rows.length, rows: rows.length, pending: 0 });
    check(rows);
  });
});

describe("schema 2", () => {
  test("the upgrade backfills the rollup from the rows already there", () => {
    store.close();
    const path = tmp.path("old.sqlite");
    const rows = seedRows();
    schemaOneFile(path, rows);
    store = openStore(path);
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    expect(checkRollup(store.db)).toEqual({ rolledUp: rows.length, rows: rows.length, pending: 0 });
    check(rows);
  });

  test("an older file opened read-only is summarised from raw rows, p95 included", () => {
    const path = tmp.path("old.sqlite");
    const rows = seedRows();
    schemaOneFile(path, rows);
    const reader = openStoreReadOnly(path);
    try {
      expect(reader.schemaVersion).toBe(1);
      check(rows, reader);
    } finally {
      reader.close();
    }
    const db = new Database(path, { readonly: true });
    expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: 1 });
    db.close();
  });
});

describe("latency histogram bins", () => {
  test("every value falls inside its bin's range, bins ascend, and high bins stay narrow", () => {
    let last = -1;
    for (const v of [-5, 0, 1, 63, 127, 128, 129, 255, 256, 1000, 4095, 4096, 19_999, 123_456, 2 ** 31, 9e12]) {
      const bin = binOf(v);
      const [lo, hi] = binRange(bin);
      expect(v >= lo && v < hi).toBe(true);
      expect(bin).toBeGreaterThanOrEqual(last);
      expect(bin).toBeLessThan(BIN_COUNT);
      if (v >= 128 && v < 2 ** 40) expect((hi - lo) / lo).toBeLessThanOrEqual(1 / 64);
      last = bin;
    }
    for (let bin = 1; bin < BIN_COUNT - 1; bin++) expect(binRange(bin)[0]).toBe(binRange(bin - 1)[1]);
  });
});
