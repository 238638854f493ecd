// A typed client of the loopback API, shared by the CLI and the dashboard (it runs in both: it
// needs only fetch). Errors are values: the daemon being down is an answer, not an exception.

import { readHealth, type Health } from "./health.ts";
import type { GroupedStatsResponse, LimitsResponse, LiveRequestsResponse, ProjectResponse, ProjectsResponse, RequestsResponse, StatsResponse } from "./types.ts";

export type ClientResult<T> =
  | { ok: true; value: T }
  /** status 0: no answer at all (refused, timed out): the daemon is not running. */
  | { ok: false; status: number; error: string; detail?: string };

export interface PeriodParams {
  since?: string;
  from?: string;
  to?: string;
}

export interface FilterParams extends PeriodParams {
  project?: string;
  provider?: string;
  model?: string;
  client?: string;
  includeSelfTest?: boolean;
}

export interface RequestsParams extends FilterParams {
  limit?: number;
  cursor?: string;
}

export interface ClientOptions {
  /** "http://127.0.0.1:8765"; "" in the dashboard (same origin). */
  baseUrl: string;
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  timeoutMs?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

function queryString(params: Query): string {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    const key = name === "includeSelfTest" ? "include_self_test" : name;
    q.set(key, typeof value === "boolean" ? (value ? "1" : "0") : String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function createClient(opts: ClientOptions) {
  const doFetch = opts.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
  const timeoutMs = opts.timeoutMs ?? 5000;

  async function get<T>(path: string, params: Query = {}): Promise<ClientResult<T>> {
    let res: Response;
    try {
      res = await doFetch(`${opts.baseUrl}${path}${queryString(params)}`, { signal: AbortSignal.timeout(timeoutMs), headers: { Accept: "application/json" } });
    } catch (err) {
      return { ok: false, status: 0, error: "no answer", detail: err instanceof Error ? err.message : String(err) };
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      return { ok: false, status: res.status, error: `HTTP ${res.status} without a JSON body` };
    }
    if (!res.ok) {
      const e = body as { error?: string; detail?: string };
      return { ok: false, status: res.status, error: e.error ?? `HTTP ${res.status}`, ...(e.detail !== undefined && { detail: e.detail }) };
    }
    return { ok: true, value: body as T };
  }

  return {
    health: async (): Promise<ClientResult<Health>> => {
      const r = await get<unknown>("/health");
      if (!r.ok) return r;
      const read = readHealth(r.value);
      return read.ok ? { ok: true, value: read.health } : { ok: false, status: 200, error: read.why };
    },
    stats: (p: FilterParams = {}) => get<StatsResponse>("/v1/stats", { ...p }),
    statsBy: (by: string, p: FilterParams = {}) => get<GroupedStatsResponse>(`/v1/stats/${encodeURIComponent(by)}`, { ...p }),
    projects: (p: PeriodParams & { includeSelfTest?: boolean } = {}) => get<ProjectsResponse>("/v1/projects", { ...p }),
    project: (slug: string, p: PeriodParams & { includeSelfTest?: boolean } = {}) => get<ProjectResponse>(`/v1/projects/${encodeURIComponent(slug)}`, { ...p }),
    requests: (p: RequestsParams = {}) => get<RequestsResponse>("/v1/requests", { ...p }),
    /** Rows newer than `after` (an id), oldest first: the live feed. */
    requestsAfter: (after: number, p: FilterParams & { limit?: number } = {}) => get<LiveRequestsResponse>("/v1/requests", { ...p, after }),
    /** Each account's limit windows; `pace` is the burn rate's lookback ("1h", "30m"). */
    limits: (p: { provider?: string; pace?: string } = {}) => get<LimitsResponse>("/v1/limits", { ...p }),
    /** The CSV export's address (for a link or a download). */
    csvUrl: (p: FilterParams = {}) => `${opts.baseUrl}/v1/requests.csv${queryString({ ...p })}`,
  };
}

export type ApiClient = ReturnType<typeof createClient>;
