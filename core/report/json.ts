// The report for scripts: the same numbers as the text, exact (micro-dollars and a decimal string).

import type { SummaryRow } from "../store/index.ts";
import { usdExact } from "./format.ts";
import type { ReportData, ReportSection } from "./model.ts";
import type { Period } from "./period.ts";

const row = (r: SummaryRow) => ({ ...r, costUsd: usdExact(r.costMicros) });
const period = (p: Period) => ({ since: new Date(p.since).toISOString(), until: new Date(p.until).toISOString(), label: p.label });
const section = (s: ReportSection) => ({ period: period(s.period), total: row(s.total), rows: s.rows.map(row) });

export function reportJson(data: ReportData) {
  return { ...section(data), by: data.by, project: data.project, previous: data.previous && section(data.previous) };
}
