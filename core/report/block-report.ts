// `report --by block`: spend in 5-hour billing blocks. Blocks follow the provider's own reported
// 5-hour window where it sent one (Anthropic's `5h` claim; with --provider chatgpt, Codex's
// 300-minute primary window), and are estimated elsewhere the way ccusage does (blocks.ts).

import { whereClause } from "../store/filters.ts";
import { reportedResets, type RequestFilter, type Store } from "../store/index.ts";
import { SELF_TEST_PROVIDER } from "../usage/types.ts";
import { type Block, blocksOf } from "./blocks.ts";
import { costCell, compact, usdExact, usd } from "./format.ts";
import type { Period } from "./period.ts";
import { type Column, renderTable } from "./table.ts";
import { localTime, relative, span } from "../time/relative.ts";

const BLOCK_MS = 5 * 3_600_000;

export interface BlockReportOptions {
  period: Period;
  project?: string;
  provider?: string;
  includeSelfTest?: boolean;
}

export interface BlockRow extends Block {
  /** Requests in the block no price was known for. */
  unpriced: number;
}

export interface BlockReport {
  period: Period;
  at: number;
  project: string | null;
  provider: string | null;
  /** Whose window the reported blocks are. */
  windowOf: { provider: string; window: string };
  blocks: BlockRow[];
}

/** The reported 5-hour window of a provider: Anthropic's `5h` claim, Codex's primary (300 minutes). */
const FIVE_HOUR_WINDOW: Record<string, string> = { anthropic: "5h", chatgpt: "primary" };

export function buildBlockReport(store: Store, opts: BlockReportOptions, nowMs: number): BlockReport {
  const filter: RequestFilter = {
    since: opts.period.since,
    until: opts.period.until,
    ...(opts.project !== undefined && { project: opts.project }),
    ...(opts.provider !== undefined && { provider: opts.provider }),
    ...(!opts.includeSelfTest && { excludeProviders: [SELF_TEST_PROVIDER] }),
  };
  const { sql, params } = whereClause(filter);
  const rows = store.db
    .query(
      `SELECT started_at AS at, COALESCE(cost_micros, 0) AS costMicros, price_status = 'unpriced' AS unpriced,
         input_tokens + output_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens AS tokens
       FROM requests ${sql} ORDER BY started_at`,
    )
    .all(...params) as Array<{ at: number; costMicros: number; tokens: number; unpriced: number }>;
  const provider = opts.provider ?? "anthropic";
  const window = FIVE_HOUR_WINDOW[provider] ?? "5h";
  const resets = reportedResets(store, window, opts.period.since - BLOCK_MS, opts.period.until + BLOCK_MS, provider).filter(
    (r) => r > opts.period.since && r - BLOCK_MS < opts.period.until,
  );
  const blocks = blocksOf(rows, { nowMs, reportedResets: resets, blockMs: BLOCK_MS });
  // Unpriced requests per block: the same rows, counted against each block's span.
  const unpricedAt = rows.filter((r) => r.unpriced).map((r) => r.at);
  // A reported window with nothing of this report's in it is left out, and so is a gap that then
  // begins or ends the list.
  const kept = blocks.filter((b) => b.kind === "gap" || b.requests > 0 || b.active);
  while (kept[0]?.kind === "gap") kept.shift();
  while (kept.at(-1)?.kind === "gap") kept.pop();
  const withUnpriced = kept.map((b) => ({ ...b, unpriced: unpricedAt.filter((at) => at >= b.start && at < b.end).length }));
  return { period: opts.period, at: nowMs, project: opts.project ?? null, provider: opts.provider ?? null, windowOf: { provider, window }, blocks: withUnpriced };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function blockReportJson(r: BlockReport) {
  return {
    period: { since: iso(r.period.since), until: iso(r.period.until), label: r.period.label },
    project: r.project,
    provider: r.provider,
    windowOf: r.windowOf,
    blocks: r.blocks.map((b) => ({
      ...b,
      start: iso(b.start),
      end: iso(b.end),
      first: iso(b.first),
      last: iso(b.last),
      costUsd: usdExact(b.costMicros),
      ...(b.burn && { burn: { ...b.burn, costUsdPerHour: usdExact(b.burn.costMicrosPerHour), projectedCostUsd: usdExact(b.burn.projectedCostMicros) } }),
    })),
  };
}

export const BLOCK_CSV_HEADER = ["start", "end", "kind", "active", "requests", "tokens", "cost_usd", "unpriced", "cost_usd_per_hour", "projected_cost_usd"];

export function blockCsvRows(r: BlockReport): string[][] {
  return r.blocks.map((b) => [
    iso(b.start)!, iso(b.end)!, b.kind, b.active ? "1" : "0", String(b.requests), String(b.tokens), usdExact(b.costMicros), String(b.unpriced),
    b.burn ? usdExact(b.burn.costMicrosPerHour) : "", b.burn ? usdExact(b.burn.projectedCostMicros) : "",
  ]);
}

function when(b: BlockRow, now: number): string {
  return `${localTime(b.start, now)} – ${localTime(b.end, now)}`;
}

function kind(b: BlockRow): string {
  if (b.kind === "gap") return `gap (${span(b.end - b.start)})`;
  return b.active ? `${b.kind}, active` : b.kind;
}

/** The active block's pace, under the table: the line people look for. */
function activeLine(b: BlockRow, now: number): string {
  const left = `ends ${localTime(b.end, now)} (${relative(b.end, now)})`;
  if (!b.burn) return `Active block: ${usd(b.costMicros)} so far · ${left}`;
  return `Active block: ${usd(b.burn.costMicrosPerHour)}/h · ${compact(Math.round(b.burn.tokensPerMinute))} tokens/min · projected ${usd(b.burn.projectedCostMicros)} at its end · ${left}`;
}

export function renderBlocks(r: BlockReport, width: number): string[] {
  const now = r.at;
  const whose = r.windowOf.provider === "chatgpt" ? "Codex's 5-hour window" : "Anthropic's 5-hour window";
  const lines = [`Billing blocks, ${r.period.label}${r.project ? ` · project ${r.project}` : ""} · ${whose} where reported, estimated elsewhere`, ""];
  if (r.blocks.length === 0) return [...lines, "No requests in this period."];
  const columns: Column<BlockRow>[] = [
    { title: "block", cell: (b) => when(b, now) },
    { title: "kind", cell: kind, dropRank: 2 },
    { title: "requests", cell: (b) => (b.kind === "gap" ? "" : String(b.requests)), align: "right" },
    { title: "tokens", cell: (b) => (b.kind === "gap" ? "" : compact(b.tokens)), align: "right", dropRank: 3 },
    { title: "cost", cell: (b) => (b.kind === "gap" ? "" : costCell(b.costMicros, b.requests, b.unpriced)), align: "right" },
  ];
  const active = r.blocks.find((b) => b.active);
  return [...lines, ...renderTable(r.blocks, columns, width), ...(active ? ["", activeLine(active, now)] : [])];
}
