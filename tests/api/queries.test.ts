// The daemon's /v1 reads run in a worker thread (core/api/queries.ts) so that a long query never
// holds the event loop that relays streams. The worker must answer exactly what the same reads
// answer in process, carry store errors back as StoreErrors, survive a database that appears
// later, and never leave a caller waiting on a worker that died or hangs.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { createApi } from "../../core/api/app.ts";
import { inProcessQueries, type Queries, workerQueries } from "../../core/api/queries.ts";
import type { Period } from "../../core/report/period.ts";
import { insertRows, openStore, StoreError, type Store } from "../../core/store/index.ts";
import { DAY, NOW, seedRows, tempDir } from "../report/_seed.ts";

let tmp: ReturnType<typeof tempDir>;
let store: Store;
let local: Queries;
let worker: Queries;

const period: Period = { since: NOW - 30 * DAY, until: NOW, label: "last 30 days" };
const filter = { since: period.since, until: period.until, excludeProviders: ["halton-meter"] };

beforeAll(() => {
  tmp = tempDir("hm-queries-");
  store = openStore(tmp.path("db.sqlite"));
  insertRows(store, seedRows());
  local = inProcessQueries(store);
  worker = workerQueries(tmp.path("db.sqlite"));
});
afterAll(() => {
  worker.close();
  store.close();
  tmp.remove();
});

describe("the worker answers what the same reads answer in process", () => {
  test("stats, grouped stats, projects and one project", async () => {
    const s = await worker.stats(filter, period);
    expect(s.summary.requests).toBeGreaterThan(0);
    expect(s).toEqual(await local.stats(filter, period));
    for (const by of ["project", "model", "provider", "client", "day"] as const) expect(await worker.groupedStats(filter, period, by)).toEqual(await local.groupedStats(filter, period, by));
    expect(await worker.projects(filter, period)).toEqual(await local.projects(filter, period));
    expect(await worker.project("alpha", filter, period)).toEqual(await local.project("alpha", filter, period));
    expect(await worker.project("never-seen", filter, period)).toBeNull();
  });

  test("pages of requests, their cursor, and the live feed after an id", async () => {
    const first = await worker.listRequests({ ...filter, limit: 25 });
    expect(first.rows.length).toBe(25);
    expect(first).toEqual(await local.listRequests({ ...filter, limit: 25 }));
    const second = await worker.listRequests({ ...filter, limit: 25, cursor: first.nextCursor! });
    expect(second.rows[0]!.id).toBeLessThan(first.rows.at(-1)!.id);
    const after = await worker.requestsAfter(first.rows.at(-1)!.id, {}, 10);
    expect(after).toEqual(await local.requestsAfter(first.rows.at(-1)!.id, {}, 10));
  });

  test("it reads rows committed after it opened the database", async () => {
    const before = (await worker.stats({}, { since: 0, until: NOW + DAY, label: "all" })).summary.requests;
    insertRows(store, [{ ...seedRows(1)[0]!, exchangeId: "late-row", startedAt: NOW - DAY }]);
    expect((await worker.stats({}, { since: 0, until: NOW + DAY, label: "all" })).summary.requests).toBe(before + 1);
  });
});

describe("errors", () => {
  test("a store error comes back as a StoreError with its code (the API turns this one into a 400)", async () => {
    const err = await worker.listRequests({ cursor: "not-a-cursor" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe("invalid-cursor");
    // The worker is still there for the next query.
    expect((await worker.listRequests({ limit: 1 })).rows.length).toBe(1);
  });

  test("no database yet: a clear StoreError; once the daemon creates it, the next query is answered", async () => {
    const path = tmp.path("later.sqlite");
    const q = workerQueries(path);
    try {
      const err = await q.stats(filter, period).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe("missing");
      const later = openStore(path);
      insertRows(later, seedRows(10));
      later.close();
      expect((await q.listRequests({ limit: 100 })).rows.length).toBe(10);
    } finally {
      q.close();
    }
  });

  test("a worker that dies fails the query it held, and the next query gets a fresh worker", async () => {
    const q = workerQueries(tmp.path("db.sqlite"), { module: fixtureWorker("crashing", "self.onmessage = () => { throw new Error('boom'); };") });
    try {
      for (let i = 0; i < 2; i++) await expect(q.stats(filter, period)).rejects.toThrow(/the query worker failed: .*boom/);
    } finally {
      q.close();
    }
  });

  test("a query that never ends fails after the timeout instead of holding its caller", async () => {
    const q = workerQueries(tmp.path("db.sqlite"), { module: fixtureWorker("silent", SILENT), timeoutMs: 300 });
    try {
      await expect(q.stats(filter, period)).rejects.toThrow("the query took longer than 300 ms");
    } finally {
      q.close();
    }
  });

  test("an idle worker is ended; the next query starts another and is answered", async () => {
    // Each worker answers every query with an id of its own: which worker answered is visible.
    const idWorker = fixtureWorker("id", "const me = crypto.randomUUID();\nself.onmessage = (e) => postMessage({ id: e.data.id, ok: true, value: me });");
    const q = workerQueries(tmp.path("db.sqlite"), { idleMs: 100, module: idWorker });
    try {
      const a = await q.stats(filter, period);
      expect(await q.stats(filter, period)).toBe(a); // busy: the same worker
      await Bun.sleep(400);
      const b = await q.stats(filter, period);
      expect(b).not.toBe(a); // idle for longer than idleMs: that one was ended, this is another
    } finally {
      q.close();
    }
  });

  test("only the query the worker is running is timed, not the ones waiting behind it", async () => {
    // Each query takes 100 ms of the worker's time; five at once take 500 ms, over the 400 ms budget.
    const slow = fixtureWorker("slow", "self.onmessage = (e) => { const t = performance.now(); while (performance.now() - t < 100) {} postMessage({ id: e.data.id, ok: true, value: e.data.id }); };");
    const q = workerQueries(tmp.path("db.sqlite"), { module: slow, timeoutMs: 400 });
    try {
      const answers = await Promise.all(Array.from({ length: 5 }, () => q.stats(filter, period)));
      expect(answers.length).toBe(5);
    } finally {
      q.close();
    }
  });

  test("close fails what is still pending, ends the worker, and refuses later queries", async () => {
    const q = workerQueries(tmp.path("db.sqlite"), { module: fixtureWorker("silent", SILENT) });
    const pending = q.stats(filter, period);
    q.close();
    await expect(pending).rejects.toThrow("closed");
    await expect(q.stats(filter, period)).rejects.toThrow("closed: the daemon is stopping");
  });
});

describe("the API over a query that fails mid-export", () => {
  test("a CSV export cut short by a failed page ends the download and reports the error", async () => {
    const failing: Queries = {
      ...inProcessQueries(store),
      listRequests: () => Promise.reject(new Error("the query worker exited")),
    };
    const errors: string[] = [];
    const app = createApi({ version: "t", pid: 1, startedAt: NOW, port: () => 48766, queries: failing, now: () => NOW, onError: (e) => errors.push(e.message) });
    const res = await app.request("http://127.0.0.1:48766/v1/requests.csv?since=30d", { headers: { host: "127.0.0.1:48766" } });
    expect(res.status).toBe(200);
    const body = await res.text().catch((e: unknown) => `cut: ${(e as Error).message}`);
    expect(body).not.toContain("seed-");
    expect(errors).toEqual(["the query worker exited"]);
  });
});

/** A worker that never answers. */
const SILENT = "self.onmessage = () => {};";

/** A stand-in worker module (misbehaving on purpose) written to the temp dir; its path. */
function fixtureWorker(name: string, source: string): string {
  const path = tmp.path(`${name}-worker.ts`);
  writeFileSync(path, `${source}\n`);
  return path;
}
