// The loopback API over a real SQLite store in a temp dir, through app.request().

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApi } from "../../core/api/app.ts";
import type { GroupedStatsResponse, LiveRequestsResponse, ProjectResponse, ProjectsResponse, RequestsResponse, StatsResponse } from "../../core/api/types.ts";
import { insertRows, openStore, type RequestRow, type Store } from "../../core/store/index.ts";
import { DAY, expected, notSelfTest, NOW, seedRows, tempDir } from "../report/_seed.ts";

const PORT = 48765;
const ROWS = seedRows();
let tmp: ReturnType<typeof tempDir>;
let store: Store;
let app: ReturnType<typeof createApi>;
const errors: string[] = [];

beforeAll(() => {
  tmp = tempDir("hm-api-");
  store = openStore(tmp.path("db.sqlite"));
  insertRows(store, ROWS);
  app = createApi({ version: "test", pid: 1, startedAt: NOW, port: () => PORT, store, now: () => NOW, onError: (e) => errors.push(e.message) });
});
afterAll(() => {
  store.close();
  tmp.remove();
});

const get = (path: string, headers: Record<string, string> = {}) => app.request(`http://127.0.0.1:${PORT}${path}`, { headers: { host: `127.0.0.1:${PORT}`, ...headers } });
async function json<T>(path: string): Promise<T> {
  const res = await get(path);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}
const inLast = (days: number) => (r: RequestRow) => r.startedAt >= NOW - days * DAY && r.startedAt < NOW;

describe("who may ask", () => {
  test("/health answers with the API version header and no CORS headers", async () => {
    const res = await get("/health", { origin: `http://127.0.0.1:${PORT}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", version: "test", pid: 1 });
    expect(res.headers.get("x-halton-meter-api")).toBe("1");
    expect([...res.headers.keys()].filter((h) => h.startsWith("access-control-"))).toEqual([]);
  });

  const refused: Array<[string, Record<string, string>, number]> = [
    ["a rebound DNS name", { host: `evil.example:${PORT}` }, 403],
    ["our name on another port", { host: "127.0.0.1:1" }, 403],
    ["another site's Origin", { origin: "http://evil.example" }, 403],
    ["localhost on another port as Origin", { origin: "http://localhost:3000" }, 403],
    ["an opaque Origin", { origin: "null" }, 403],
    ["a cross-site fetch", { "sec-fetch-site": "cross-site" }, 403],
    ["a same-site page on another port", { "sec-fetch-site": "same-site" }, 403],
  ];
  for (const [what, headers, status] of refused) {
    test(`refuses ${what}`, async () => {
      const res = await get("/v1/stats", headers);
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: string; detail: string };
      expect(body.error).toStartWith("forbidden");
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    });
  }

  test("reads only: POST and a CORS preflight get 405 and no CORS headers", async () => {
    for (const method of ["POST", "OPTIONS", "DELETE"]) {
      const res = await app.request(`http://127.0.0.1:${PORT}/v1/stats`, { method, headers: { host: `127.0.0.1:${PORT}`, "access-control-request-method": "GET" } });
      expect(res.status).toBe(405);
      expect([...res.headers.keys()].filter((h) => h.startsWith("access-control-"))).toEqual([]);
    }
  });
});

describe("/v1/stats", () => {
  test("summary and every grouping agree with the rows, self-test canaries left out", async () => {
    const s = await json<StatsResponse>("/v1/stats?since=30d");
    const rows = ROWS.filter(inLast(30)).filter(notSelfTest);
    expect(s.summary).toMatchObject(expected(rows));
    expect(s.period).toEqual({ since: new Date(NOW - 30 * DAY).toISOString(), until: new Date(NOW).toISOString(), label: "last 30 days" });
    for (const [group, field] of [["byProvider", "provider"], ["byModel", "model"], ["byProject", "project"], ["byClient", "client"]] as const) {
      const keys = [...new Set(rows.map((r) => r[field] ?? null))];
      expect(s[group].map((g) => g.key).sort()).toEqual(keys.sort() as string[]);
      for (const g of s[group]) {
        const { p95LatencyMs: _p95, ...sums } = expected(rows.filter((r) => (r[field] ?? null) === g.key));
        expect(g).toMatchObject(sums);
      }
    }
    expect(s.byDay.reduce((n, d) => n + d.requests, 0)).toBe(rows.length);
    expect(s.series.bucket).toBe("day");
    expect(s.series.points.reduce((n, p) => n + p.costMicros, 0)).toBe(s.summary.costMicros);
    expect(new Set(s.series.points.map((p) => p.provider))).toEqual(new Set(["anthropic", "openai", "google"]));
  });

  test("include_self_test=1 counts the canaries; filters narrow everything", async () => {
    const all = await json<StatsResponse>("/v1/stats?since=30d&include_self_test=1");
    expect(all.summary.requests).toBe(ROWS.filter(inLast(30)).length);
    const alpha = await json<StatsResponse>("/v1/stats?since=30d&project=alpha&client=codex");
    expect(alpha.summary).toMatchObject(expected(ROWS.filter(inLast(30)).filter((r) => r.project === "alpha" && r.client === "codex")));
  });

  test("two days or less are charted by hour", async () => {
    const s = await json<StatsResponse>("/v1/stats?since=48h");
    expect(s.series.bucket).toBe("hour");
    expect(s.series.points.every((p) => /^\d{4}-\d\d-\d\dT\d\d:00$/.test(p.time))).toBe(true);
    expect(s.summary.requests).toBe(ROWS.filter((r) => r.startedAt >= NOW - 2 * DAY && r.startedAt < NOW).filter(notSelfTest).length);
  });

  test("/v1/stats/model has an exact p95 per group", async () => {
    const s = await json<GroupedStatsResponse>("/v1/stats/model?from=2026-05-20&to=2026-06-10");
    const since = new Date(2026, 4, 20).getTime();
    const until = new Date(2026, 5, 11).getTime();
    const rows = ROWS.filter((r) => r.startedAt >= since && r.startedAt < until).filter(notSelfTest);
    for (const g of s.rows) expect(g).toMatchObject(expected(rows.filter((r) => r.model === g.key)));
    expect(s.summary).toMatchObject(expected(rows));
  });
});

describe("/v1/projects", () => {
  test("lists projects by cost with when each was last seen", async () => {
    const { projects } = await json<ProjectsResponse>("/v1/projects?since=90d");
    const rows = ROWS.filter(notSelfTest);
    const alpha = projects.find((p) => p.key === "alpha")!;
    const { p95LatencyMs: _p95, ...sums } = expected(rows.filter((r) => r.project === "alpha"));
    expect(alpha).toMatchObject(sums);
    expect(alpha.p95LatencyMs).toBeNull();
    expect(alpha.lastSeenAt).toBe(Math.max(...rows.filter((r) => r.project === "alpha").map((r) => r.startedAt)));
    expect(projects.map((p) => p.costMicros)).toEqual(projects.map((p) => p.costMicros).sort((a, b) => b - a));
    expect(projects.some((p) => p.key === "halton-meter")).toBe(false);
  });

  test("one project: summary, breakdowns and its newest requests; 404 for one never seen", async () => {
    const p = await json<ProjectResponse>("/v1/projects/beta?since=30d");
    const rows = ROWS.filter(inLast(30)).filter((r) => r.project === "beta");
    expect(p.summary).toMatchObject(expected(rows));
    expect(p.byModel.reduce((n, m) => n + m.requests, 0)).toBe(rows.length);
    expect(p.recent.length).toBe(20);
    expect(p.recent.every((r) => r.project === "beta")).toBe(true);
    expect(p.recent.map((r) => r.id)).toEqual([...p.recent.map((r) => r.id)].sort((a, b) => b - a));
    const missing = await get("/v1/projects/no-such-project");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: "not found" });
  });
});

describe("/v1/requests", () => {
  test("cursor pages walk every matching row once, newest first", async () => {
    const want = ROWS.map((r, i) => ({ ...r, id: i + 1 }))
      .filter((r) => r.provider === "openai" && r.startedAt >= NOW - 20 * DAY)
      .sort((a, b) => b.startedAt - a.startedAt || b.id - a.id);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: RequestsResponse = await json<RequestsResponse>(`/v1/requests?provider=openai&since=20d&limit=7${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.rows.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(want.map((r) => r.id));
  });

  test("after= gives newer rows oldest first, for live views", async () => {
    const live = await json<LiveRequestsResponse>("/v1/requests?after=390&include_self_test=1");
    expect(live.rows.map((r) => r.id)).toEqual([391, 392, 393, 394, 395, 396, 397, 398, 399, 400]);
    expect(live.lastId).toBe(400);
    const none = await json<LiveRequestsResponse>("/v1/requests?after=400");
    expect(none).toEqual({ rows: [], lastId: 400 });
  });

  test("CSV export: a header and one line per matching row", async () => {
    const res = await get("/v1/requests.csv?project=gamma");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/csv");
    const lines = (await res.text()).trimEnd().split("\r\n");
    expect(lines[0]).toStartWith("id,started_at,provider,model,project,client");
    const want = ROWS.filter((r) => r.project === "gamma");
    expect(lines.length - 1).toBe(want.length);
    const costs = lines.slice(1).map((l) => l.split(",")[15]);
    expect(costs.filter((c) => c === "").length).toBe(want.filter((r) => r.costMicros === null).length);
  });
});

describe("bad requests are 400 with a message, never a stack trace", () => {
  const cases: Array<[string, RegExp]> = [
    ["/v1/stats?since=soon", /since.*not a duration/],
    ["/v1/stats?sinse=7d", /unknown parameter "sinse"/],
    ["/v1/stats?from=2026-02-31", /not a date/],
    ["/v1/stats?since=7d&from=2026-06-01", /either since or from\/to/],
    ["/v1/stats/colour", /not a grouping/],
    ["/v1/requests?limit=0", /limit: at least 1/],
    ["/v1/requests?limit=abc", /limit: a whole number/],
    ["/v1/requests?cursor=bm9wZQ", /cursor/],
    ["/v1/requests?include_self_test=maybe", /include_self_test/],
  ];
  for (const [path, message] of cases) {
    test(path, async () => {
      const res = await get(path);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; detail: string };
      expect(body.error).toBe("invalid request");
      expect(body.detail).toMatch(message);
      expect(JSON.stringify(body)).not.toMatch(/\n\s+at |\.ts:\d+/);
    });
  }

  test("a failure inside is a 500 with no internals, and reaches onError", async () => {
    const broken = openStore(":memory:");
    const brokenApp = createApi({ version: "test", pid: 1, startedAt: NOW, port: () => PORT, store: broken, now: () => NOW, onError: (e) => errors.push(e.message) });
    broken.close();
    const res = await brokenApp.request(`http://127.0.0.1:${PORT}/v1/stats`, { headers: { host: `127.0.0.1:${PORT}` } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).error).toBe("internal error");
    expect(text).not.toMatch(/\.ts:\d+|\n\s+at /);
    expect(errors.length).toBeGreaterThan(0);
  });
});

describe("the dashboard's files", () => {
  test("served from the binary with a strict Content-Security-Policy; the page loads only our own files", async () => {
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'; script-src 'self'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const html = await page.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.filter((r) => /^(https?:)?\/\//.test(r))).toEqual([]);
    for (const [path, type] of [["/assets/dashboard.js", "text/javascript"], ["/assets/dashboard.css", "text/css"]] as const) {
      expect(refs).toContain(path);
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith(type);
      expect((await res.text()).length).toBeGreaterThan(1000);
    }
  });

  test("without a database, /v1 answers 503 and the rest still works", async () => {
    const bare = createApi({ version: "test", pid: 1, startedAt: NOW, port: () => PORT });
    const res = await bare.request(`http://127.0.0.1:${PORT}/v1/stats`, { headers: { host: `127.0.0.1:${PORT}` } });
    expect(res.status).toBe(503);
    expect((await bare.request(`http://127.0.0.1:${PORT}/health`, { headers: { host: `127.0.0.1:${PORT}` } })).status).toBe(200);
  });
});
