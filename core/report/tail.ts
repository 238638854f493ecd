// `tail`: one line per captured request, and the polling loop that finds them by id (ids only
// grow and a commit is atomic, so a cursor on the last id printed never skips or repeats a row).

import { lastRequestId, recentRequests, requestsAfter, type RequestFilter, type RequestRecord, type Store } from "../store/index.ts";
import { compact, costCell, duration, usdExact } from "./format.ts";

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

/** time, project, client, model, tokens, cost, latency: aligned, about 100 columns. */
export function tailLine(r: RequestRecord): string {
  const t = r.tokens;
  const cache = t.cacheRead + t.cacheWrite5m + t.cacheWrite1h;
  const tokens = `in ${compact(t.input)} out ${compact(t.output)}${cache ? ` cache ${compact(cache)}` : ""}`;
  const cost = r.priceStatus === "unmetered" ? "-" : costCell(r.costMicros ?? 0, 1, r.priceStatus === "unpriced" ? 1 : 0, true);
  const status = r.status !== null && r.status >= 400 ? `  HTTP ${r.status}` : "";
  return `${clock(r.startedAt)}  ${clip(r.project ?? "(none)", 14)}  ${clip(r.client ?? "-", 12)}  ${clip(r.model ?? r.provider, 26)}  ${tokens.padEnd(28)}  ${cost.padStart(9)}  ${duration(r.latencyMs).padStart(6)}${status}`;
}

export function tailJson(r: RequestRecord): string {
  return JSON.stringify({
    id: r.id,
    time: new Date(r.startedAt).toISOString(),
    project: r.project,
    client: r.client,
    provider: r.provider,
    model: r.model,
    endpoint: r.endpoint,
    status: r.status,
    tokens: r.tokens,
    costMicros: r.costMicros,
    costUsd: r.costMicros === null ? null : usdExact(r.costMicros),
    priceStatus: r.priceStatus,
    latencyMs: r.latencyMs,
    ttfbMs: r.ttfbMs,
  });
}

export interface FollowOptions {
  store: Store;
  filter: RequestFilter;
  /** Rows already stored to print first (like tail -n). */
  backlog: number;
  intervalMs: number;
  onRows: (rows: RequestRecord[]) => void;
  /** Resolves when it is time to stop (SIGINT). */
  stopped: Promise<void>;
  /** Start after this id instead of the newest (0 for a database that appeared while we waited: all of it is new). */
  startAfter?: number;
}

/** Prints the backlog, then polls by id cursor until `stopped` resolves. */
export async function follow(opts: FollowOptions): Promise<void> {
  let stop = false;
  void opts.stopped.then(() => (stop = true));
  let cursor = opts.startAfter ?? lastRequestId(opts.store);
  if (opts.backlog > 0 && opts.startAfter === undefined) {
    const recent = recentRequests(opts.store, cursor, opts.filter, opts.backlog);
    if (recent.length) opts.onRows(recent);
  }
  while (!stop) {
    const rows = requestsAfter(opts.store, cursor, opts.filter);
    if (rows.length) {
      opts.onRows(rows);
      cursor = rows.at(-1)!.id;
      if (rows.length === 500) continue; // more waiting: do not sleep
    }
    await Promise.race([Bun.sleep(opts.intervalMs), opts.stopped]);
  }
}
