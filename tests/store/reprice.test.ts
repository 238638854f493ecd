// repriceRows on a real SQLite file: what changes and what is left alone, the daily rollup kept
// equal to one rebuilt from the rows, and another writer (the daemon's) never held up.

import { describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { insertRows, MIGRATIONS, openStore, rebuildRollup, repriceRows, type RepriceCandidate, type Repriced } from "../../core/store/index.ts";
import { freshStorePerTest, makeRow, schemaOneFile, T0 } from "./_fixtures.ts";

const ctx = freshStorePerTest();
const DAY = 86_400_000;

/** New prices: m-new costs 2 µ$ per input token now (and its note loses its first reason); m-same keeps its cost; anything else has none. */
function price(row: RepriceCandidate): Repriced | null {
  if (row.model === "m-new") return { costMicros: row.tokens.input * 2, source: "genai-prices@new/2026-12-01", note: row.note?.split("; ")[0] ?? null };
  if (row.model === "m-same") return { costMicros: row.costMicros ?? 0, source: "genai-prices@new/2026-12-01", note: row.note };
  return null;
}

/** 60 rows over three days and two projects: m-new unpriced and priced at an old rate, m-same, m-gone. */
function seed(db: Database) {
  const rows = Array.from({ length: 60 }, (_, i) => {
    const model = ["m-new", "m-new", "m-same", "m-gone"][i % 4]!;
    const unpriced = model === "m-new" && i % 8 === 0;
    return makeRow(i, {
      startedAt: T0 + Math.floor(i / 20) * DAY + i * 1000,
      model,
      project: i % 3 === 0 ? "beta" : "alpha",
      tokens: { input: 100 + i, output: 10, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 },
      priceStatus: unpriced ? "unpriced" : "priced",
      costMicros: unpriced ? null : 1000 + i,
      priceSource: unpriced ? null : "genai-prices@0.1.8/2026-09-22",
      note: unpriced ? 'stream ended early; no price known for anthropic model "m-new": add it under [pricing] in config.toml' : null,
    });
  });
  insertRows({ db }, rows);
  return rows;
}

const all = (db: Database) => db.query("SELECT * FROM requests ORDER BY id").all();
const rollup = (db: Database) =>
  db.query("SELECT day_start, provider, model, project, client, requests, input_tokens, cost_micros, unpriced, latency_n, latency_sum FROM request_rollups ORDER BY day_start, model, project").all();

/** The rollup as it stands equals one rebuilt from the rows. */
function expectRollupMatchesRows(db: Database) {
  const kept = rollup(db);
  rebuildRollup(db);
  expect(kept).toEqual(rollup(db));
}

describe("repriceRows", () => {
  test("unpriced rows get a price, changed costs move, equal costs and unpriceable rows are left alone; the rollup follows", () => {
    const db = ctx.store.db;
    const rows = seed(db);
    const before = all(db) as Array<Record<string, unknown>>;
    const result = repriceRows(ctx.store, { price, batchSize: 7 });

    const newRows = rows.filter((r) => r.model === "m-new");
    const delta = newRows.reduce((n, r) => n + r.tokens.input * 2 - (r.costMicros ?? 0), 0);
    expect(result).toEqual({
      checked: 60,
      changed: newRows.length,
      newlyPriced: newRows.filter((r) => r.priceStatus === "unpriced").length,
      deltaMicros: delta,
      stillUnpriced: 0,
      keptPriced: 15,
      rollupRebuilt: false,
    });
    const after = all(db) as Array<Record<string, unknown>>;
    for (const [i, row] of after.entries()) {
      if (row.model === "m-new") {
        expect(row).toMatchObject({ price_status: "priced", cost_micros: (row.input_tokens as number) * 2, price_source: "genai-prices@new/2026-12-01" });
        // The note is the one the pricing side gave.
        if (before[i]!.note) expect(row.note).toBe("stream ended early");
      } else expect(row).toEqual(before[i]!);
    }
    const sums = db.query("SELECT SUM(cost_micros) AS cost, SUM(unpriced) AS unpriced FROM request_rollups").get();
    expect(sums).toEqual({ cost: after.reduce((n, r) => n + ((r.cost_micros as number | null) ?? 0), 0), unpriced: 0 });
    expectRollupMatchesRows(db);
  });

  test("a second run changes nothing", () => {
    seed(ctx.store.db);
    repriceRows(ctx.store, { price });
    const snapshot = all(ctx.store.db);
    expect(repriceRows(ctx.store, { price })).toMatchObject({ changed: 0, deltaMicros: 0 });
    expect(all(ctx.store.db)).toEqual(snapshot);
  });

  test("--dry-run counts the same changes and writes nothing", () => {
    const db = ctx.store.db;
    seed(db);
    const rows = all(db);
    const sums = rollup(db);
    const dry = repriceRows(ctx.store, { price, dryRun: true });
    expect(all(db)).toEqual(rows);
    expect(rollup(db)).toEqual(sums);
    expect(dry.changed).toBeGreaterThan(0);
    expect(repriceRows(ctx.store, { price })).toEqual(dry);
  });

  test("since: only rows started then or later", () => {
    const db = ctx.store.db;
    const rows = seed(db);
    const since = T0 + 2 * DAY;
    const result = repriceRows(ctx.store, { price, since });
    expect(result.checked).toBe(rows.filter((r) => r.startedAt >= since).length);
    const early = db.query("SELECT COUNT(*) AS n FROM requests WHERE started_at < ? AND price_source = 'genai-prices@new/2026-12-01'").get(since);
    expect(early).toEqual({ n: 0 });
    expectRollupMatchesRows(db);
  });

  test("rows not rolled up yet (written by a build without the rollup) are repriced, and the next fold counts their new cost", () => {
    const db = ctx.store.db;
    seed(db);
    db.run(`INSERT INTO requests (exchange_id, started_at, provider, host, method, path, model, input_tokens, price_status, metered, project, client)
      VALUES ('old-build-1', ${T0 + 5000}, 'anthropic', 'api.anthropic.com', 'POST', '/v1/messages', 'm-new', 700, 'unpriced', 1, 'alpha', 'claude-code')`);
    repriceRows(ctx.store, { price });
    expect(db.query("SELECT cost_micros FROM requests WHERE exchange_id = 'old-build-1'").get()).toEqual({ cost_micros: 1400 });
    insertRows({ db }, [makeRow(1000, { model: "m-same" })]); // its fold takes in the row above
    expectRollupMatchesRows(db);
  });

  test("a database from an older build (schema 1, no rollup; price_source NULL = unknown) is upgraded on open and repriced", () => {
    const path = ctx.tmp.path("old.sqlite");
    schemaOneFile(path, [makeRow(1, { model: "m-new", priceStatus: "unpriced", costMicros: null, priceSource: null }), makeRow(2, { model: "m-gone", priceSource: null })]);
    const store = openStore(path);
    try {
      expect(store.schemaVersion).toBe(MIGRATIONS.length);
      expect(repriceRows(store, { price })).toMatchObject({ checked: 2, changed: 1, newlyPriced: 1, keptPriced: 1 });
      expect(store.db.query("SELECT model, price_source FROM requests ORDER BY id").all()).toEqual([
        { model: "m-new", price_source: "genai-prices@new/2026-12-01" },
        { model: "m-gone", price_source: null },
      ]);
      expectRollupMatchesRows(store.db);
    } finally {
      store.close();
    }
  });

  test("a rollup bucket that is missing (a rollup that disagreed with its rows) is rebuilt", () => {
    const db = ctx.store.db;
    seed(db);
    db.run("DELETE FROM request_rollups WHERE model = 'm-new' AND project = 'beta'");
    expect(repriceRows(ctx.store, { price }).rollupRebuilt).toBe(true);
    expect(db.query("SELECT SUM(requests) AS n FROM request_rollups").get()).toEqual({ n: 60 });
    expectRollupMatchesRows(db);
  });

  test("another writer with the daemon's 50 ms busy_timeout writes between batches; a row it changed meanwhile is left to it", () => {
    seed(ctx.store.db);
    const daemon = openStore(ctx.store.path, { busyTimeoutMs: 50 });
    try {
      let next = 5000;
      let raced = false;
      const result = repriceRows(ctx.store, {
        batchSize: 5,
        price(row) {
          insertRows(daemon, [makeRow(next++, { model: "m-gone" })]); // would throw SQLITE_BUSY if reprice held the lock
          if (!raced && row.model === "m-new") {
            raced = true;
            daemon.db.query("UPDATE requests SET cost_micros = 1, price_status = 'priced' WHERE id = ?").run(row.id);
            rebuildRollup(daemon.db);
          }
          return price(row);
        },
      });
      // Each row looked at let the other writer in; the rows it wrote meanwhile are not repriced.
      expect(next - 5000).toBe(60);
      expect(result.checked).toBe(60);
      expect(ctx.store.db.query("SELECT COUNT(*) AS n FROM requests WHERE cost_micros = 1").get()).toEqual({ n: 1 });
      expectRollupMatchesRows(ctx.store.db);
    } finally {
      daemon.close();
    }
  });
});
