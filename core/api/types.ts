// The shapes the loopback API answers with: shared by the handlers, the typed client, the CLI and
// the dashboard. Type-only: nothing here runs, so the browser bundle can import it.

import type { limitsJson } from "../limits/report.ts";
import type { BreakdownRow, RequestRecord, SummaryRow } from "../store/index.ts";

export type { RequestRecord, SummaryRow };

export interface ApiPeriod {
  /** ISO times; until is exclusive. */
  since: string;
  until: string;
  label: string;
}

/** The /health answer is defined, and read, in health.ts. */
export type { CaptureHealth, Health, TlsBypass } from "./health.ts";

/** A group's sums (p95LatencyMs is null here: per-group percentiles come from /v1/stats/{by}). */
export type GroupRow = SummaryRow;

export interface SeriesPoint {
  /** YYYY-MM-DD, or YYYY-MM-DDTHH:00 for hourly buckets, on the daemon's local clock. */
  time: string;
  provider: string;
  requests: number;
  costMicros: number;
  unpricedRequests: number;
}

export interface StatsResponse {
  period: ApiPeriod;
  /** Everything in the period, with exact p95 latency. */
  summary: SummaryRow;
  byDay: GroupRow[];
  byProvider: GroupRow[];
  byModel: GroupRow[];
  byProject: GroupRow[];
  byClient: GroupRow[];
  /** Spend over time by provider: hourly for periods up to two days, daily beyond. */
  series: { bucket: "day" | "hour"; points: SeriesPoint[] };
}

export interface GroupedStatsResponse {
  period: ApiPeriod;
  by: string;
  summary: SummaryRow;
  /** With exact p95 latency per group. */
  rows: SummaryRow[];
}

export interface ProjectRow extends GroupRow {
  /** Epoch ms of the project's newest request ever, or null. */
  lastSeenAt: number | null;
}

export interface ProjectsResponse {
  period: ApiPeriod;
  projects: ProjectRow[];
}

export interface ProjectResponse {
  period: ApiPeriod;
  project: string;
  lastSeenAt: number;
  summary: SummaryRow;
  byModel: GroupRow[];
  byClient: GroupRow[];
  byDay: GroupRow[];
  recent: RequestRecord[];
}

export interface RequestsResponse {
  rows: RequestRecord[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface LiveRequestsResponse {
  /** Rows with an id above `after`, oldest first. */
  rows: RequestRecord[];
  /** The id to pass as `after` next time. */
  lastId: number;
}

/** The /v1/limits answer: limitsJson's shape, so the route and its readers cannot drift apart. */
export type LimitsResponse = ReturnType<typeof limitsJson>;
export type LimitsAccountJson = LimitsResponse["accounts"][number];
/** One window as /v1/limits sends it: times as ISO strings, history the lookback's samples. */
export type LimitWindowJson = LimitsAccountJson["windows"][number];

export interface ApiError {
  error: string;
  detail?: string;
}

export type { BreakdownRow };
