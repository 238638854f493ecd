// The report as a person reads it: a header of sums, then one table fitted to the terminal.

import type { SummaryRow } from "../store/index.ts";
import { change, compact, costCell, duration, percent, thousands, usd } from "./format.ts";
import { previousRow, type ReportData } from "./model.ts";
import { renderTable, wrapParts, wrapWords, type Column } from "./table.ts";

const NONE = "(none)";

function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

function tokenParts(r: SummaryRow): string[] {
  const parts = [`input ${compact(r.inputTokens)}`, `output ${compact(r.outputTokens)}`, `cache read ${compact(r.cacheReadTokens)}`];
  const writes = r.cacheWrite5mTokens + r.cacheWrite1hTokens;
  if (writes) parts.push(`cache write ${compact(writes)}`);
  if (r.reasoningTokens) parts.push(`reasoning ${compact(r.reasoningTokens)}`);
  return parts;
}

function costLine(r: SummaryRow): string {
  const priced = r.requests - r.unpricedRequests;
  if (r.unpricedRequests === 0) return usd(r.costMicros);
  if (priced === 0) return `unpriced (no known price for any of the ${thousands(r.requests)} requests)`;
  return `${usd(r.costMicros)} + ${thousands(r.unpricedRequests)} unpriced request${r.unpricedRequests === 1 ? "" : "s"} (not counted as $0)`;
}

/** LLM calls, and apart from them the provider hosts' other calls (a client's settings and policy fetches). */
function requestsLine(t: SummaryRow): string {
  if (t.otherCalls === 0) return thousands(t.requests);
  return `${thousands(t.requests)} (and ${thousands(t.otherCalls)} other call${t.otherCalls === 1 ? "" : "s"} to the providers, no usage: in no figure here)`;
}

function header(data: ReportData, width: number): string[] {
  const t = data.total;
  const range = `${stamp(data.period.since)} to ${stamp(data.period.until)}`;
  const title = ["Halton Meter", data.period.label, ...(data.project === null ? [] : [`project ${data.project}`]), ...(range === data.period.label ? [] : [range])];
  const lines = [
    ...wrapParts("", title, width),
    ...wrapWords("requests  ", requestsLine(t), width),
    ...wrapParts("tokens    ", tokenParts(t), width),
    ...wrapWords("cost      ", costLine(t), width),
  ];
  const prev = data.previous?.total;
  if (prev) {
    lines.push(
      ...wrapParts("previous  ", [`${data.previous!.period.label}: ${usd(prev.costMicros)}`, `cost ${change(t.costMicros, prev.costMicros)}`, `requests ${change(t.requests, prev.requests)}`], width),
    );
  }
  return lines;
}

function columns(data: ReportData, totalRow: SummaryRow): Column<SummaryRow>[] {
  const cols: Column<SummaryRow>[] = [
    { title: data.by, cell: (r) => r.key ?? NONE, shrink: true },
    { title: "requests", cell: (r) => thousands(r.requests), align: "right", dropRank: 3 },
    { title: "in/out", cell: (r) => `${compact(r.inputTokens)}/${compact(r.outputTokens)}`, align: "right", dropRank: 4 },
    { title: "cache rd", cell: (r) => compact(r.cacheReadTokens), align: "right", dropRank: 7 },
    { title: "cache wr", cell: (r) => compact(r.cacheWrite5mTokens + r.cacheWrite1hTokens), align: "right", dropRank: 9 },
    { title: "cost", cell: (r) => costCell(r.costMicros, r.requests, r.unpricedRequests), align: "right" },
  ];
  if (data.previous) {
    cols.push({ title: "vs prev", cell: (r) => (r === totalRow ? change(r.costMicros, data.previous!.total.costMicros) : change(r.costMicros, previousRow(data, r.key)?.costMicros ?? 0)), align: "right", dropRank: 2 });
  }
  cols.push(
    { title: "hit", cell: (r) => percent(r.cacheHitRate), align: "right", dropRank: 5 },
    { title: "avg", cell: (r) => duration(r.avgLatencyMs), align: "right", dropRank: 8 },
    { title: "p95", cell: (r) => duration(r.p95LatencyMs), align: "right", dropRank: 6 },
  );
  return cols;
}

export function renderText(data: ReportData, width: number): string[] {
  const lines = header(data, width);
  if (data.total.requests === 0) {
    lines.push("", "No requests in this period.");
    return lines;
  }
  const totalRow = { ...data.total, key: "total" };
  lines.push("", ...renderTable(data.rows, columns(data, totalRow), width, data.rows.length > 1 ? [totalRow] : []));
  if (data.rows.some((r) => r.unpricedRequests > 0 && r.unpricedRequests < r.requests)) {
    lines.push("", ...wrapWords("", "* some requests had no known price: the amount covers the priced ones only", width));
  }
  return lines;
}
