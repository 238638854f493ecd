// What a report says, independent of how it is printed (text, JSON, CSV).

import { summaryWithTotal, type GroupBy, type RequestFilter, type Store, type SummaryRow } from "../store/index.ts";
import { SELF_TEST_PROVIDER } from "../usage/types.ts";
import { previousPeriod, type Period } from "./period.ts";

export const GROUP_BYS: readonly GroupBy[] = ["project", "model", "provider", "client", "day"];

export interface ReportOptions {
  period: Period;
  by: GroupBy;
  project?: string;
  provider?: string;
  vsPrevious?: boolean;
  includeSelfTest?: boolean;
  timeZone?: "local" | "utc";
}

export interface ReportSection {
  period: Period;
  total: SummaryRow;
  rows: SummaryRow[];
}

export interface ReportData extends ReportSection {
  by: GroupBy;
  project: string | null;
  previous: ReportSection | null;
}

/** The previous period is for comparing spend and volume: its sums only (p95 stays null). */
function section(store: Store, period: Period, opts: ReportOptions, percentile = true): ReportSection {
  const filter: RequestFilter = {
    since: period.since,
    until: period.until,
    ...(opts.project !== undefined && { project: opts.project }),
    ...(opts.provider !== undefined && { provider: opts.provider }),
    ...(!opts.includeSelfTest && { excludeProviders: [SELF_TEST_PROVIDER] }),
  };
  return { period, ...summaryWithTotal(store, { ...filter, groupBy: opts.by, timeZone: opts.timeZone ?? "local", percentile }) };
}

export function buildReport(store: Store, opts: ReportOptions): ReportData {
  const current = section(store, opts.period, opts);
  return {
    ...current,
    by: opts.by,
    project: opts.project ?? null,
    previous: opts.vsPrevious ? section(store, previousPeriod(opts.period), opts, false) : null,
  };
}

/** The previous period's row with the same key, if any. */
export function previousRow(data: ReportData, key: string | null): SummaryRow | null {
  return data.previous?.rows.find((r) => r.key === key) ?? null;
}
