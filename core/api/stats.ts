// What /v1/stats and /v1/projects answer, computed from the store (no HTTP here).

import { HOUR, type Period } from "../report/period.ts";
import { lastRequestId, recentRequests, summary, summaryCube, summaryWithTotal, type BreakdownRow, type GroupBy, type RequestFilter, type Store, type SummaryRow } from "../store/index.ts";
import type { ApiPeriod, GroupedStatsResponse, GroupRow, ProjectResponse, ProjectRow, ProjectsResponse, StatsResponse } from "./types.ts";

export const apiPeriod = (p: Period): ApiPeriod => ({ since: new Date(p.since).toISOString(), until: new Date(p.until).toISOString(), label: p.label });

const byCost = (a: GroupRow, b: GroupRow) => b.costMicros - a.costMicros || b.requests - a.requests;
const byKey = (a: GroupRow, b: GroupRow) => (a.key ?? "").localeCompare(b.key ?? "");

function rows(cells: BreakdownRow[], sort: (a: GroupRow, b: GroupRow) => number): GroupRow[] {
  return cells.map(({ keys, ...r }) => ({ key: keys[0] ?? null, ...r, p95LatencyMs: null })).sort(sort);
}

export function stats(store: Store, filter: RequestFilter, period: Period): StatsResponse {
  const bucket = period.until - period.since <= 48 * HOUR ? "hour" : "day";
  const cube = summaryCube(store, { ...filter, dims: bucket === "hour" ? ["hour", "day", "provider", "model", "project", "client"] : ["day", "provider", "model", "project", "client"] });
  const points = cube
    .by([bucket, "provider"])
    .map((c) => ({ time: c.keys[0]!, provider: c.keys[1]!, requests: c.requests, costMicros: c.costMicros, unpricedRequests: c.unpricedRequests }))
    .sort((a, b) => a.time.localeCompare(b.time) || a.provider.localeCompare(b.provider));
  return {
    period: apiPeriod(period),
    summary: summary(store, filter)[0]!,
    byDay: rows(cube.by(["day"]), byKey),
    byProvider: rows(cube.by(["provider"]), byCost),
    byModel: rows(cube.by(["model"]), byCost),
    byProject: rows(cube.by(["project"]), byCost),
    byClient: rows(cube.by(["client"]), byCost),
    series: { bucket, points },
  };
}

export function groupedStats(store: Store, filter: RequestFilter, period: Period, by: GroupBy): GroupedStatsResponse {
  const { total, rows } = summaryWithTotal(store, { ...filter, groupBy: by });
  return { period: apiPeriod(period), by, summary: total, rows };
}

/** The newest request of a project, ever (the (project, started_at) index answers it at once). */
function lastSeen(store: Store, project: string | null, filter: RequestFilter): number | null {
  const providers = filter.excludeProviders ?? [];
  const row = store.db
    .query(`SELECT started_at FROM requests WHERE project IS ? ${providers.length ? `AND +provider NOT IN (${providers.map(() => "?").join(", ")})` : ""} ORDER BY project DESC, started_at DESC LIMIT 1`)
    .get(project, ...providers) as { started_at: number } | null;
  return row?.started_at ?? null;
}

export function projects(store: Store, filter: RequestFilter, period: Period): ProjectsResponse {
  const list: ProjectRow[] = rows(summaryCube(store, { ...filter, dims: ["project"] }).by(["project"]), byCost).map((r) => ({ ...r, lastSeenAt: lastSeen(store, r.key, filter) }));
  return { period: apiPeriod(period), projects: list };
}

/** One project's page; null when it has never made a request. */
export function project(store: Store, slug: string, filter: RequestFilter, period: Period): ProjectResponse | null {
  const seen = lastSeen(store, slug, filter);
  if (seen === null) return null;
  const scoped = { ...filter, project: slug };
  const cube = summaryCube(store, { ...scoped, dims: ["day", "model", "client"] });
  const total: SummaryRow = summary(store, scoped)[0]!;
  return {
    period: apiPeriod(period),
    project: slug,
    lastSeenAt: seen,
    summary: total,
    byModel: rows(cube.by(["model"]), byCost),
    byClient: rows(cube.by(["client"]), byCost),
    byDay: rows(cube.by(["day"]), byKey),
    recent: recentRequests(store, lastRequestId(store), { project: slug, excludeProviders: filter.excludeProviders }, 20).reverse(),
  };
}
