// The /v1 route map: one flat list, each route a query parse and a store call.

import { Hono, type Context } from "hono";
import type * as v from "valibot";
import { REQUEST_CSV_HEADER, csvLine, requestCsvLine } from "../report/csv.ts";
import { GROUP_BYS } from "../report/model.ts";
import type { Period } from "../report/period.ts";
import { StoreError, type GroupBy } from "../store/index.ts";
import type { BudgetsConfig } from "../budgets/evaluate.ts";
import { limitsJson } from "../limits/report.ts";
import { parseDuration } from "../time/duration.ts";
import { filterOf, LIMITS_QUERY, parseQuery, periodOf, PROJECTS_QUERY, REQUESTS_QUERY, STATS_QUERY } from "./_params.ts";
import type { Queries } from "./queries.ts";
import type { LiveRequestsResponse, RequestsResponse } from "./types.ts";

export interface DataDeps {
  queries: Queries;
  /** `[budgets]`: their alerts show beside the limits. */
  budgets: BudgetsConfig;
  now: () => number;
  /** Where a failure after the answer started (a CSV export cut short) is reported. */
  onError?: (err: Error, path: string) => void;
}

const bad = (c: Context, message: string) => c.json({ error: "invalid request", detail: message }, 400);

/** The query parsed against `schema` and its period resolved, or the 400 answer saying why not. */
function parse<S extends v.GenericSchema>(c: Context, schema: S, now: number, fallback: string | null): { q: v.InferOutput<S>; period: Period | null } | Response {
  const q = parseQuery(schema, c.req.queries());
  if (!q.ok) return bad(c, q.message);
  const period = periodOf(q.value as { since?: string; from?: string; to?: string }, now, fallback);
  return period.ok ? { q: q.value, period: period.value } : bad(c, period.message);
}

export function dataRoutes(deps: DataDeps): Hono {
  const api = new Hono();

  const q = deps.queries;

  api.get("/stats", async (c) => {
    const p = parse(c, STATS_QUERY, deps.now(), "30d");
    return p instanceof Response ? p : c.json(await q.stats(filterOf(p.q, p.period), p.period!));
  });

  api.get("/stats/:by", async (c) => {
    const by = c.req.param("by") as GroupBy;
    if (!GROUP_BYS.includes(by)) return bad(c, `"${by}" is not a grouping: use one of ${GROUP_BYS.join(", ")}`);
    const p = parse(c, STATS_QUERY, deps.now(), "30d");
    return p instanceof Response ? p : c.json(await q.groupedStats(filterOf(p.q, p.period), p.period!, by));
  });

  api.get("/projects", async (c) => {
    const p = parse(c, PROJECTS_QUERY, deps.now(), "30d");
    return p instanceof Response ? p : c.json(await q.projects(filterOf(p.q, p.period), p.period!));
  });

  api.get("/projects/:slug", async (c) => {
    const p = parse(c, PROJECTS_QUERY, deps.now(), "30d");
    if (p instanceof Response) return p;
    const slug = c.req.param("slug");
    const found = await q.project(slug, filterOf(p.q, p.period), p.period!);
    return found ? c.json(found) : c.json({ error: "not found", detail: `no request was ever attributed to project "${slug}"` }, 404);
  });

  api.get("/limits", async (c) => {
    const parsed = parseQuery(LIMITS_QUERY, c.req.queries());
    if (!parsed.ok) return bad(c, parsed.message);
    const { provider, pace } = parsed.value;
    let lookbackMs: number | undefined;
    if (pace !== undefined) {
      const d = parseDuration(pace);
      if (!d.ok) return bad(c, `pace: ${d.message}`);
      if (d.ms < 60_000) return bad(c, "pace: at least 1m");
      lookbackMs = d.ms;
    }
    return c.json(limitsJson(await q.limits(deps.now(), { provider, lookbackMs }, deps.budgets)));
  });

  api.get("/requests", async (c) => {
    const p = parse(c, REQUESTS_QUERY, deps.now(), null);
    if (p instanceof Response) return p;
    const query = p.q;
    const filter = filterOf(query, p.period);
    if (query.after !== undefined) {
      if (query.cursor !== undefined) return bad(c, "use either after (live, oldest first) or cursor (pages, newest first)");
      const rows = await q.requestsAfter(query.after, filter, query.limit ?? 500);
      return c.json({ rows, lastId: rows.at(-1)?.id ?? query.after } satisfies LiveRequestsResponse);
    }
    try {
      return c.json((await q.listRequests({ ...filter, limit: query.limit, cursor: query.cursor })) satisfies RequestsResponse);
    } catch (err) {
      if (err instanceof StoreError && err.code === "invalid-cursor") return bad(c, `cursor: ${err.message}`);
      throw err;
    }
  });

  api.get("/requests.csv", (c) => {
    const p = parse(c, REQUESTS_QUERY, deps.now(), null);
    if (p instanceof Response) return p;
    if (p.q.cursor !== undefined || p.q.after !== undefined || p.q.limit !== undefined) return bad(c, "the CSV export takes filters and a period, not limit, cursor or after");
    const filter = filterOf(p.q, p.period);
    let cursor: string | null = null;
    let started = false;
    // One page per pull: a large export never holds the event loop (which also runs the proxy) for long.
    const body = new ReadableStream<string>({
      async pull(controller) {
        if (!started) {
          started = true;
          controller.enqueue(`${csvLine(REQUEST_CSV_HEADER)}\r\n`);
          return;
        }
        try {
          const page = await q.listRequests({ ...filter, limit: 1000, cursor });
          if (page.rows.length) controller.enqueue(page.rows.map((r) => `${requestCsvLine(r)}\r\n`).join(""));
          cursor = page.nextCursor;
          if (cursor === null) controller.close();
        } catch (err) {
          // The 200 and part of the file are out: the download ends short, and the log says why.
          const e = err instanceof Error ? err : new Error(String(err));
          deps.onError?.(e, c.req.path);
          controller.error(e);
        }
      },
    });
    return c.body(body.pipeThrough(new TextEncoderStream()), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="halton-meter-requests.csv"`,
    });
  });

  return api;
}
