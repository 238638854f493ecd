// "day" grouping follows the local calendar across DST changes and odd offsets.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { insertRows, openStore, summary, type Store } from "../../core/store/index.ts";
import { makeRow, tempDir } from "./_fixtures.ts";

const HOUR = 3_600_000;
const savedTz = process.env.TZ;
let tmp: ReturnType<typeof tempDir>;
let store: Store;

// One row every 20 minutes across the 2026 DST changes (US: Mar 8 and Nov 1; Lord Howe: Apr 5, Oct 4).
const STARTS = [Date.UTC(2026, 2, 6), Date.UTC(2026, 3, 3), Date.UTC(2026, 9, 2), Date.UTC(2026, 9, 30)].flatMap((from) =>
  Array.from({ length: 5 * 72 }, (_, i) => from + i * (HOUR / 3)),
);

beforeAll(() => {
  tmp = tempDir();
  store = openStore(tmp.path("db.sqlite"));
  insertRows(store, STARTS.map((startedAt, i) => makeRow(i, { startedAt })));
});
afterAll(() => {
  process.env.TZ = savedTz;
  store.close();
  tmp.remove();
});

function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

describe("local days", () => {
  for (const tz of ["America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]) {
    test(tz, () => {
      process.env.TZ = tz;
      const want = new Map<string, number>();
      for (const ms of STARTS) want.set(localDay(ms), (want.get(localDay(ms)) ?? 0) + 1);
      const got = summary(store, { groupBy: "day" });
      expect(got.map((r) => [r.key, r.requests])).toEqual([...want].sort(([a], [b]) => a.localeCompare(b)));
    });
  }

  test("a window bounds the days", () => {
    process.env.TZ = "America/New_York";
    const since = Date.UTC(2026, 2, 8, 12);
    const until = Date.UTC(2026, 2, 9, 12);
    const got = summary(store, { groupBy: "day", since, until });
    expect(got.map((r) => r.key)).toEqual(["2026-03-08", "2026-03-09"]);
    expect(got.reduce((n, r) => n + r.requests, 0)).toBe(STARTS.filter((ms) => ms >= since && ms < until).length);
  });
});
