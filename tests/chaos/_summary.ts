// What a chaos run counts, from the clients' outcomes, the crash times and the stored rows.
// Pure: the suite's judgement is testable without starting anything.

import type { Outcome } from "./_load.ts";

export interface ChaosFacts {
  outcomes: Outcome[];
  /** Epoch ms of every kill -9 of the daemon. */
  kills: number[];
  /** Epoch ms spans while the daemon was hung (SIGSTOP): its ports accepted but nothing answered. */
  hangs?: ReadonlyArray<{ from: number; to: number }>;
  /** Stored rows per User-Agent (every chaos request sends `chaos/<id>`). */
  rows: ReadonlyMap<string, number>;
  integrity: string;
}

export interface ChaosSummary {
  requests: number;
  byClient: Record<string, number>;
  /** Answered in full through the daemon, by client. */
  meteredByClient: Record<string, number>;
  /** Answered in full, through the daemon (metered) or the edge alone (tunnelled). */
  metered: number;
  tunnelled: number;
  /** Requests that asked the provider to reset mid-stream: they fail by design. */
  upstreamResets: number;
  /** Target 0: failed, not in flight at a crash, not a provider reset. */
  newFailed: Outcome[];
  /** Reported: in flight when the daemon was killed, and cut. */
  cutByCrash: number;
  /** Target 0: answered in full through the daemon, no row, and no crash within 100 ms of the end. */
  missingRows: Outcome[];
  /** Allowed: the row was still in the writer's batch when the daemon was killed. */
  missingNearCrash: number;
  /** Target 0: one request, more than one row. */
  duplicated: string[];
  /** Resets that went through the daemon, and how many of those have their row. */
  resetsMetered: number;
  resetRowsRecorded: number;
  /** Target 0: resets through the daemon without a row, no kill -9 in flight or near. */
  resetsMissingRows: Outcome[];
  /** Requests begun while the daemon was hung, and how many of those the edge tunnelled. */
  startedInHang: number;
  tunnelledInHang: number;
  /** Slowest JSON request begun in a hang and tunnelled, against the 95th percentile of JSON requests begun outside one. */
  slowestInHangMs: number;
  typicalJsonMs: number;
  integrityOk: boolean;
  integrity: string;
}

/** What a hung daemon may add to a new request (issue: at most 250 ms). */
export const HANG_BUDGET_MS = 250;

export const CRASH_WINDOW_MS = 100;

const inFlightAt = (o: Outcome, t: number) => o.start <= t && t <= o.end;

export function summarise(f: ChaosFacts): ChaosSummary {
  const s: ChaosSummary = {
    requests: f.outcomes.length,
    byClient: {},
    meteredByClient: {},
    metered: 0,
    tunnelled: 0,
    upstreamResets: 0,
    newFailed: [],
    cutByCrash: 0,
    missingRows: [],
    missingNearCrash: 0,
    duplicated: [],
    resetsMetered: 0,
    resetRowsRecorded: 0,
    resetsMissingRows: [],
    startedInHang: 0,
    tunnelledInHang: 0,
    slowestInHangMs: 0,
    typicalJsonMs: 0,
    integrityOk: f.integrity === "ok",
    integrity: f.integrity,
  };
  const inHang = (o: Outcome) => (f.hangs ?? []).some((h) => h.from <= o.start && o.start <= h.to);
  const jsonOutside: number[] = [];
  for (const o of f.outcomes) {
    if (inHang(o)) {
      s.startedInHang++;
      if (o.via === "edge") s.tunnelledInHang++;
      if (o.ok && o.kind === "json" && o.via === "edge") s.slowestInHangMs = Math.max(s.slowestInHangMs, o.end - o.start);
    } else if (o.ok && o.kind === "json") jsonOutside.push(o.end - o.start);
    s.byClient[o.client] = (s.byClient[o.client] ?? 0) + 1;
    const rows = f.rows.get(`chaos/${o.id}`) ?? 0;
    if (rows > 1) s.duplicated.push(o.id);
    if (o.kind === "sse-reset") {
      s.upstreamResets++;
      if (o.via === "daemon") {
        s.resetsMetered++;
        if (rows > 0) s.resetRowsRecorded++;
        else if (!f.kills.some((k) => inFlightAt(o, k) || Math.abs(k - o.end) <= CRASH_WINDOW_MS)) s.resetsMissingRows.push(o);
      }
      continue;
    }
    if (!o.ok) {
      if (f.kills.some((k) => inFlightAt(o, k))) s.cutByCrash++;
      else s.newFailed.push(o);
      continue;
    }
    if (o.via === "edge") s.tunnelled++;
    if (o.via !== "daemon") continue;
    s.metered++;
    s.meteredByClient[o.client] = (s.meteredByClient[o.client] ?? 0) + 1;
    if (rows > 0) continue;
    if (f.kills.some((k) => Math.abs(k - o.end) <= CRASH_WINDOW_MS)) s.missingNearCrash++;
    else s.missingRows.push(o);
  }
  jsonOutside.sort((a, b) => a - b);
  s.typicalJsonMs = jsonOutside[Math.min(jsonOutside.length - 1, Math.floor(jsonOutside.length * 0.95))] ?? 0;
  return s;
}

export function summaryTable(s: ChaosSummary): string {
  const clients = Object.entries(s.byClient)
    .map(([c, n]) => `${c} ${n}`)
    .join(", ");
  const rows: Array<[string, string, string]> = [
    ["requests (new connection each)", `${s.requests} (${clients})`, ""],
    ["answered through the daemon (metered)", String(s.metered), ""],
    ["answered by the edge alone (tunnelled)", String(s.tunnelled), ""],
    ["new requests that failed", String(s.newFailed.length), "target 0"],
    ["in flight and cut by a kill -9", String(s.cutByCrash), "reported"],
    ["provider resets mid-stream (fail by design)", `${s.upstreamResets}; ${s.resetsMetered} through the daemon, ${s.resetRowsRecorded} of those recorded`, "reported"],
    ["... through the daemon, no row, no kill -9 near", String(s.resetsMissingRows.length), "target 0"],
    ["metered and complete, but no row", String(s.missingRows.length), "target 0"],
    [`... of which within ${CRASH_WINDOW_MS} ms of a kill -9 (allowed)`, String(s.missingNearCrash), "reported"],
    ["requests with more than one row", String(s.duplicated.length), "target 0"],
    ["begun while the daemon hung (SIGSTOP); tunnelled", `${s.startedInHang}; ${s.tunnelledInHang}`, "reported"],
    ["... slowest JSON of those vs p95 outside a hang", `${s.slowestInHangMs.toFixed(0)} ms vs ${s.typicalJsonMs.toFixed(0)} ms`, `target at most +${HANG_BUDGET_MS} ms`],
    ["PRAGMA integrity_check", s.integrity, "target ok"],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v, t]) => `  ${k.padEnd(width)}  ${v}${t ? `  (${t})` : ""}`).join("\n");
}
