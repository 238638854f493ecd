// CSV (RFC 4180) for reports and request exports: exact numbers, dollars as exact decimals.

import type { RequestRecord, SummaryRow } from "../store/index.ts";
import { usdExact } from "./format.ts";
import { previousRow, type ReportData } from "./model.ts";

export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  // A leading = + - @ would make a spreadsheet evaluate the cell: quote-prefix it.
  const safe = /^[=+\-@\t\r]/.test(text) && typeof value === "string" ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const csvLine = (fields: ReadonlyArray<string | number | boolean | null | undefined>): string => fields.map(csvField).join(",");

const SUMMARY_HEADER = [
  "requests", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
  "reasoning_tokens", "cost_usd", "unpriced_requests", "cache_hit_rate", "avg_latency_ms", "p95_latency_ms", "other_calls",
];

function summaryFields(r: SummaryRow): Array<string | number | null> {
  return [
    r.requests, r.inputTokens, r.outputTokens, r.cacheReadTokens, r.cacheWrite5mTokens, r.cacheWrite1hTokens,
    r.reasoningTokens, r.unpricedRequests === r.requests && r.requests > 0 ? null : usdExact(r.costMicros), r.unpricedRequests,
    r.cacheHitRate === null ? null : Number(r.cacheHitRate.toFixed(6)), r.avgLatencyMs === null ? null : Math.round(r.avgLatencyMs), r.p95LatencyMs,
    r.otherCalls,
  ];
}

/** One line per group, then a "total" line; cost_usd is empty when nothing in the row had a price. */
export function reportCsv(data: ReportData): string[] {
  const prevCols = data.previous ? ["previous_requests", "previous_cost_usd"] : [];
  const lines = [csvLine([data.by, ...SUMMARY_HEADER, ...prevCols])];
  const prev = (p: SummaryRow | null) => (data.previous ? [p?.requests ?? 0, usdExact(p?.costMicros ?? 0)] : []);
  for (const r of data.rows) lines.push(csvLine([r.key, ...summaryFields(r), ...prev(previousRow(data, r.key))]));
  lines.push(csvLine(["total", ...summaryFields(data.total), ...prev(data.previous?.total ?? null)]));
  return lines;
}

export const REQUEST_CSV_HEADER = [
  "id", "started_at", "provider", "model", "project", "client", "endpoint", "status", "stream", "input_tokens", "output_tokens",
  "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "reasoning_tokens", "cost_usd", "price_status",
  "latency_ms", "ttfb_ms", "tokens_complete", "error_type",
];

export function requestCsvLine(r: RequestRecord): string {
  const t = r.tokens;
  return csvLine([
    r.id, new Date(r.startedAt).toISOString(), r.provider, r.model, r.project, r.client, r.endpoint, r.status, r.stream,
    t.input, t.output, t.cacheRead, t.cacheWrite5m, t.cacheWrite1h, t.reasoning, r.costMicros === null ? null : usdExact(r.costMicros),
    r.priceStatus, r.latencyMs, r.ttfbMs, r.tokensComplete, r.errorType,
  ]);
}
