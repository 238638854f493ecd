// Reports over a seeded database, checked against the same numbers computed naively in JS.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { countRows, insertRows, listRequests, openStore, StoreError, summary, type RequestRecord, type RequestRow, type Store, type SummaryRow } from "../../core/store/index.ts";
import { makeRow, T0, tempDir } from "./_fixtures.ts";

const PROJECTS = ["alpha", "beta", "gamma", null];
const MODELS = ["claude-sonnet-4-5", "gpt-5", "gemini-2.5-pro"];
const CLIENTS = ["claude-code", "codex", "curl"];
const HOUR = 3_600_000;

function seedRow(i: number): RequestRow {
  const unpriced = i % 13 === 0;
  return makeRow(i, {
    // several rows share a started_at, so pagination must break ties by id
    startedAt: T0 + Math.floor(i / 3) * HOUR,
    project: PROJECTS[i % 4]!,
    model: MODELS[i % 3]!,
    provider: ["anthropic", "openai", "google"][i % 3]!,
    client: CLIENTS[(i >> 1) % 3]!,
    tokens: { input: 100 + i, output: 10 + (i % 50), cacheRead: i % 5 === 0 ? 0 : 1000 + i, cacheWrite5m: i % 7, cacheWrite1h: i % 11 === 0 ? 500 : 0, reasoning: i % 4 },
    costMicros: unpriced ? null : 1000 + i * 7,
    priceStatus: unpriced ? "unpriced" : "priced",
    latencyMs: i % 17 === 0 ? null : (i * 7919) % 5000,
  });
}

const ROWS = Array.from({ length: 600 }, (_, i) => seedRow(i));
let tmp: ReturnType<typeof tempDir>;
let store: Store;
beforeAll(() => {
  tmp = tempDir();
  store = openStore(tmp.path("db.sqlite"));
  insertRows(store, ROWS);
});
afterAll(() => {
  store.close();
  tmp.remove();
});

function nearestRankP95(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(0.95 * sorted.length) - 1]!;
}

function expected(all: RequestRow[]) {
  // LLM calls are the metered rows; the rest are other calls, in no sum but their own.
  const rows = all.filter((r) => r.metered !== false);
  const sum = (f: (r: RequestRow) => number) => rows.reduce((acc, r) => acc + f(r), 0);
  const latencies = rows.flatMap((r) => (r.latencyMs == null ? [] : [r.latencyMs]));
  const cacheRead = sum((r) => r.tokens.cacheRead);
  const inputSide = sum((r) => r.tokens.input + r.tokens.cacheRead + r.tokens.cacheWrite5m + r.tokens.cacheWrite1h);
  return {
    requests: rows.length,
    inputTokens: sum((r) => r.tokens.input),
    outputTokens: sum((r) => r.tokens.output),
    cacheReadTokens: cacheRead,
    cacheWrite5mTokens: sum((r) => r.tokens.cacheWrite5m),
    cacheWrite1hTokens: sum((r) => r.tokens.cacheWrite1h),
    reasoningTokens: sum((r) => r.tokens.reasoning),
    costMicros: sum((r) => r.costMicros ?? 0),
    unpricedRequests: rows.filter((r) => r.priceStatus === "unpriced").length,
    otherCalls: all.length - rows.length,
    cacheHitRate: inputSide ? cacheRead / inputSide : null,
    avgLatencyMs: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : null,
    p95LatencyMs: nearestRankP95(latencies),
  };
}

function close(actual: SummaryRow, wanted: ReturnType<typeof expected>): void {
  const { avgLatencyMs, cacheHitRate, key: _key, ...exact } = actual;
  const { avgLatencyMs: wantAvg, cacheHitRate: wantRate, ...wantExact } = wanted;
  expect(exact).toEqual(wantExact);
  expect(avgLatencyMs!).toBeCloseTo(wantAvg!, 6);
  expect(cacheHitRate!).toBeCloseTo(wantRate!, 9);
}

describe("summary", () => {
  test("the total row", () => {
    const [total, ...rest] = summary(store);
    expect(rest).toEqual([]);
    expect(total!.key).toBeNull();
    close(total!, expected(ROWS));
    expect(Number.isInteger(total!.costMicros)).toBe(true);
  });

  for (const groupBy of ["project", "model", "provider", "client"] as const) {
    test(`grouped by ${groupBy}, sorted by cost`, () => {
      const rows = summary(store, { groupBy });
      const field = (r: RequestRow) => r[groupBy] ?? null;
      const keys = [...new Set(ROWS.map(field))];
      expect(rows.map((r) => r.key).sort()).toEqual(keys.sort());
      for (const row of rows) close(row, expected(ROWS.filter((r) => field(r) === row.key)));
      const costs = rows.map((r) => r.costMicros);
      expect(costs).toEqual([...costs].sort((a, b) => b - a));
    });
  }

  test("by UTC day, in date order, within a time window and a project", () => {
    const since = T0 + 24 * HOUR;
    const until = T0 + 5 * 24 * HOUR;
    const rows = summary(store, { groupBy: "day", timeZone: "utc", since, until, project: "alpha" });
    const inWindow = ROWS.filter((r) => r.startedAt >= since && r.startedAt < until && r.project === "alpha");
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    expect(rows.map((r) => r.key)).toEqual([...new Set(inWindow.map((r) => day(r.startedAt)))].sort());
    for (const row of rows) close(row, expected(inWindow.filter((r) => day(r.startedAt) === row.key)));
  });

  test("an empty window: no groups, and a zero total", () => {
    expect(summary(store, { groupBy: "model", since: 0, until: 1 })).toEqual([]);
    expect(summary(store, { since: 0, until: 1 })[0]).toMatchObject({ requests: 0, costMicros: 0, cacheHitRate: null, p95LatencyMs: null });
  });
});

describe("listRequests", () => {
  const newestFirst = [...ROWS].map((r, i) => ({ ...r, id: i + 1 })).sort((a, b) => b.startedAt - a.startedAt || b.id - a.id);

  test("pages walk every row exactly once, newest first, ties broken by id", () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = listRequests(store, { limit: 47, cursor });
      seen.push(...page.rows.map((r) => r.exchangeId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(600 / 47));
    expect(seen).toEqual(newestFirst.map((r) => r.exchangeId));
  });

  test("filters combine with pagination", () => {
    const want = newestFirst.filter((r) => r.project === "beta" && r.client === "codex" && r.startedAt >= T0 + 10 * HOUR);
    const first = listRequests(store, { project: "beta", client: "codex", since: T0 + 10 * HOUR, limit: 10 });
    const second = listRequests(store, { project: "beta", client: "codex", since: T0 + 10 * HOUR, limit: 1000, cursor: first.nextCursor });
    expect([...first.rows, ...second.rows].map((r) => r.exchangeId)).toEqual(want.map((r) => r.exchangeId));
    expect(second.nextCursor).toBeNull();
    expect(countRows(store, { project: "beta", client: "codex", since: T0 + 10 * HOUR })).toBe(want.length);
  });

  test("rows come back in the shape they went in", () => {
    const row = listRequests(store, { model: "gpt-5", limit: 1 }).rows[0]!;
    const source = ROWS.find((r) => r.exchangeId === row.exchangeId)!;
    const { bodies: _bodies, ...stored } = source;
    expect(row).toEqual({
      ...stored,
      id: ROWS.indexOf(source) + 1,
      firstByteAt: null,
      tokensComplete: true,
      metered: true,
      pid: null,
      userAgent: null,
      errorType: null,
      note: null,
      rateLimits: null,
      account: null,
      session: null,
    } as RequestRecord);
  });

  test("a cursor listRequests did not issue is an invalid-cursor error", () => {
    expect(() => listRequests(store, { cursor: "bm9wZQ" })).toThrow(StoreError);
  });
});
