// The status line's reads: each query a range on an index (the plans do not depend on the row
// count: the store never runs ANALYZE, so the planner has no statistics to change its mind with),
// which account it speaks for, and a local day start that agrees with JavaScript's in every zone.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readFacts, SQL } from "../../core/statusline/facts.ts";
import { openStoreReadOnly, type Store } from "../../core/store/open.ts";
import { BUN, repoRoot } from "../harness/sandbox.ts";
import { HOUR, type Seeded, seeded, SESSION } from "./_fixtures.ts";

let s: Seeded;
let store: Store;
beforeAll(() => {
  s = seeded();
  store = openStoreReadOnly(s.db);
});
afterAll(() => {
  store.close();
  s.remove();
});

describe("query plans", () => {
  const plan = (sql: string) => {
    const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => "x");
    return (store.db.query(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join("; ");
  };

  test.each([
    ["session", /SEARCH requests USING INDEX requests_session \(session=\?\)/],
    ["sessionAccount", /SEARCH requests USING INDEX requests_session \(session=\?\)/],
    ["latestAccount", /SCAN limit_samples USING INDEX limit_samples_observed_at/],
    ["today", /SEARCH requests USING INDEX requests_started_at \(started_at>\?\)/],
    ["windowLatest", /SEARCH limit_samples USING INDEX limit_samples_window \(provider=\? AND account=\? AND window_name=\?\)/],
    ["windowRecent", /SEARCH limit_samples USING INDEX limit_samples_window \(provider=\? AND account=\? AND window_name=\? AND observed_at>\?\)/],
    // requests_account where the schema has it.
    ["spendOfAccount", /SEARCH requests USING INDEX (requests_account \(account=\? AND started_at>\?\)|requests_started_at \(started_at>\?\))/],
    ["spendOfProvider", /SEARCH requests USING INDEX requests_started_at \(started_at>\?\)/],
  ] as const)("%s reads a range of one index, with no sort", (name, expected) => {
    const p = plan(SQL[name]);
    expect(p).toMatch(expected);
    expect(p).not.toContain("TEMP B-TREE");
  });

  test("every query is checked", () => {
    expect(Object.keys(SQL).sort()).toEqual(["dayStart", "latestAccount", "session", "sessionAccount", "spendOfAccount", "spendOfProvider", "today", "windowLatest", "windowRecent"]);
  });
});

describe("facts", () => {
  test("the session's own account; none of its rows: the newest account seen", () => {
    const o = { nowMs: s.now, lookbackMs: HOUR };
    const own = readFacts(store, { ...o, sessionId: SESSION });
    expect(own).toMatchObject({ session: { requests: 2, micros: 1_200_000, unpriced: 0 }, todayMicros: 3_100_000, account: "acct-a", lookbackMicros: 1_200_000 });
    expect(own.windows["5h"]!.map((w) => w.utilization)).toEqual([0.35, 0.42]);
    expect(own.windows["7d"]!.map((w) => w.utilization)).toEqual([0.18]);
    expect(readFacts(store, { ...o, sessionId: "other" })).toMatchObject({ session: { requests: 1, micros: 100_000 }, account: "acct-b", windows: { "5h": [{ utilization: 0.9 }] } });
    expect(readFacts(store, { ...o, sessionId: null })).toMatchObject({ session: null, account: "acct-a" });
  });

  test("an hour after the last sample, a window comes back as its newest sample alone", () => {
    const later = readFacts(store, { nowMs: s.now + 2 * HOUR, lookbackMs: HOUR, sessionId: SESSION });
    expect(later.windows["5h"]!.map((w) => w.utilization)).toEqual([0.42]);
    expect(later.lookbackMicros).toBe(0);
  });
});

test("the local day starts where JavaScript says, in zones with odd offsets and across DST changes", async () => {
  const instants = [Date.UTC(2026, 2, 29, 0, 30), Date.UTC(2026, 2, 29, 1, 30), Date.UTC(2026, 9, 25, 0, 30), Date.UTC(2026, 3, 5, 3), Date.UTC(2026, 8, 6, 23, 59), Date.UTC(2026, 11, 31, 12)];
  const zones = ["UTC", "Europe/Paris", "America/New_York", "America/Santiago", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"];
  const runs = zones.map(async (TZ) => {
    const p = Bun.spawn([BUN, join(repoRoot, "tests/statusline/_day-start.ts"), ...instants.map(String)], { env: { PATH: process.env.PATH ?? "", TZ }, stdout: "pipe", stderr: "pipe" });
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    expect(code).toBe(0);
    return { TZ, days: JSON.parse(out) as Array<{ sqlite: number; js: number }> };
  });
  for (const { TZ, days } of await Promise.all(runs)) {
    expect({ TZ, days: days.map((d) => d.sqlite) }).toEqual({ TZ, days: days.map((d) => d.js) });
  }
});
