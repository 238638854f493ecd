// SUM_COLUMNS (core/store/_sums.ts) is the one definition of the aggregates' sums. These tests fail
// when it drifts from the schema, when a column's per-row and over-rows SQL disagree, when the
// rollup's fold disagrees with the raw sums, or when a sum lands in the wrong summary-row field.

import { describe, expect, test } from "bun:test";
import { SUM_COLUMNS } from "../../core/store/_sums.ts";
import { insertRows, openStore, openStoreReadOnly, summary, summaryCube, summaryWithTotal, type RequestRow, type SummaryRow } from "../../core/store/index.ts";
import { freshStorePerTest, makeRow, olderSchemaFile, T0, tempDir } from "./_fixtures.ts";

const ctx = freshStorePerTest();
const HOUR = 3_600_000;
const KEYS = ["day_start", "day_end", "provider", "model", "project", "client"];

/** Rows over several days and groups, with every NULL a sum must treat as nothing. */
function mixedRows(): RequestRow[] {
  return Array.from({ length: 240 }, (_, i) =>
    makeRow(i, {
      startedAt: T0 + i * 2 * HOUR,
      provider: ["anthropic", "openai"][i % 2]!,
      model: i % 5 === 0 ? null : ["claude-sonnet-4-5", "gpt-5", "o3"][i % 3]!,
      project: ["alpha", "beta", null][i % 3]!,
      client: i % 7 === 0 ? null : "codex",
      tokens: { input: 10 + i, output: i % 9, cacheRead: i * 3, cacheWrite5m: i % 4, cacheWrite1h: i % 6 === 0 ? 50 : 0, reasoning: i % 2 },
      costMicros: i % 4 === 0 ? null : 100 + i,
      priceStatus: i % 8 === 0 ? "unpriced" : i % 4 === 0 ? "unmetered" : "priced",
      latencyMs: i % 5 === 1 ? null : (i * 37) % 900,
    }),
  );
}

const one = (sql: string): number => (ctx.store.db.query(sql).values()[0]![0] as number | null) ?? Number.NaN;

describe("the sums table", () => {
  test("names exactly the rollup's sum columns, each field once, reading only requests columns", () => {
    const rollup = (ctx.store.db.query("PRAGMA table_info(request_rollups)").all() as { name: string }[]).map((c) => c.name);
    expect(SUM_COLUMNS.map((c): string => c.name)).toEqual(rollup.filter((c) => !KEYS.includes(c) && c !== "latency_hist"));
    const requests = new Set((ctx.store.db.query("PRAGMA table_info(requests)").all() as { name: string }[]).map((c) => c.name));
    for (const c of SUM_COLUMNS) for (const col of c.reads) expect(requests.has(col)).toBe(true);
    const fields = SUM_COLUMNS.flatMap((c) => ("field" in c ? [c.field] : []));
    expect(new Set(fields).size).toBe(fields.length);
  });

  test("every column's per-row and over-rows SQL agree, and over no rows the sum is 0", () => {
    insertRows(ctx.store, mixedRows());
    for (const c of SUM_COLUMNS) {
      expect({ [c.name]: one(`SELECT ${c.overRows} FROM requests`) }).toEqual({ [c.name]: one(`SELECT SUM(${c.perRow}) FROM requests`) });
      expect({ [c.name]: one(`SELECT ${c.overRows} FROM requests WHERE id < 0`) }).toEqual({ [c.name]: 0 });
      // The fold adds these in JS, where a NULL would count only by coercion: none may be NULL.
      expect({ [c.name]: one(`SELECT COUNT(*) FROM requests WHERE (${c.perRow}) IS NULL`) }).toEqual({ [c.name]: 0 });
    }
  });

  test("the rollup's fold equals the sum over raw rows, for every column and group", () => {
    const rows = mixedRows();
    insertRows(ctx.store, rows.slice(0, 100));
    insertRows(ctx.store, rows.slice(100));
    const groups = "provider, model, project, client";
    for (const c of SUM_COLUMNS) {
      const raw = ctx.store.db.query(`SELECT ${groups}, ${c.overRows} AS v FROM requests GROUP BY ${groups} ORDER BY ${groups}`).all();
      const rolled = ctx.store.db.query(`SELECT ${groups}, SUM(${c.name}) AS v FROM request_rollups GROUP BY ${groups} ORDER BY ${groups}`).all();
      expect({ [c.name]: rolled }).toEqual({ [c.name]: raw });
    }
  });
});

describe("a summary row", () => {
  // Distinct values in every summed field, so a sum landing in the wrong field shows.
  const priced = makeRow(1, {
    startedAt: T0,
    tokens: { input: 101, output: 203, cacheRead: 307, cacheWrite5m: 401, cacheWrite1h: 503, reasoning: 601 },
    costMicros: 7001,
    latencyMs: 709,
  });
  const unpriced = makeRow(2, { startedAt: T0 + HOUR, tokens: { input: 11, output: 13, cacheRead: 17, cacheWrite5m: 19, cacheWrite1h: 23, reasoning: 29 }, costMicros: null, priceStatus: "unpriced", latencyMs: null });
  // An other call (a client's settings fetch): counted apart, its slow answer in no latency figure.
  const other = makeRow(3, { startedAt: T0 + 2 * HOUR, model: null, tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 }, costMicros: null, priceStatus: "unmetered", metered: false, latencyMs: 5000 });
  const want: SummaryRow = {
    key: null,
    requests: 2,
    inputTokens: 112,
    outputTokens: 216,
    cacheReadTokens: 324,
    cacheWrite5mTokens: 420,
    cacheWrite1hTokens: 526,
    reasoningTokens: 630,
    costMicros: 7001,
    unpricedRequests: 1,
    otherCalls: 1,
    cacheHitRate: 324 / (112 + 324 + 420 + 526),
    avgLatencyMs: 709,
    p95LatencyMs: 709,
  };

  test("carries every sum in its own field, in the same order, from the rollup and from raw rows", () => {
    insertRows(ctx.store, [priced, unpriced, other]);
    const fromRollup = summary(ctx.store)[0]!;
    const fromRaw = summary(ctx.store, { since: T0 - 1, until: T0 + 3 * HOUR })[0]!;
    for (const row of [fromRollup, fromRaw]) {
      expect(row).toEqual(want);
      expect(Object.keys(row)).toEqual(Object.keys(want));
    }
  });

  test("is the same through summaryWithTotal and a cube", () => {
    insertRows(ctx.store, [priced, unpriced, other]);
    const { total, rows } = summaryWithTotal(ctx.store, { groupBy: "project" });
    expect(total).toEqual(want);
    expect(rows).toEqual([{ ...want, key: "alpha" }]);
    const { key: _key, ...sums } = want;
    expect(summaryCube(ctx.store, { dims: ["project", "model"] }).by(["project"])).toEqual([{ keys: ["alpha"], ...sums, p95LatencyMs: null }]);
  });
});

describe("a store from schema 4, whose rollup counted other calls as requests", () => {
  test("is read from raw rows as it is, and its rollup is folded again on upgrade", () => {
    const tmp = tempDir();
    try {
      const path = tmp.path("v4.sqlite");
      const rows = [makeRow(1, { latencyMs: 700 }), makeRow(2, { model: null, metered: false, priceStatus: "unmetered", costMicros: null, latencyMs: 9000 })];
      olderSchemaFile(path, 4, rows);
      const old = openStoreReadOnly(path);
      expect(summary(old)[0]).toMatchObject({ requests: 1, otherCalls: 1, avgLatencyMs: 700, p95LatencyMs: 700 });
      old.close();
      const upgraded = openStore(path);
      expect(upgraded.db.query("SELECT SUM(requests) AS requests, SUM(other_calls) AS other FROM request_rollups").get()).toEqual({ requests: 1, other: 1 });
      expect(summary(upgraded)[0]).toMatchObject({ requests: 1, otherCalls: 1, avgLatencyMs: 700, p95LatencyMs: 700 });
      upgraded.close();
    } finally {
      tmp.remove();
    }
  });
});
