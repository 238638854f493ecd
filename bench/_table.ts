// The bench's one table, as Markdown, and the target lines of issue 9 (point 2) plus the speed
// points of issues 3 and 4. Every ratio is computed from numbers of the same run.

import type { HangRow } from "./_hang.ts";
import type { ColdStart, Memory } from "./_lifecycle.ts";
import type { RequestRow } from "./_requests.ts";
import type { SseRow } from "./_sse.ts";
import { fmt } from "./_stats.ts";
import type { BulkRow, ConnectRow } from "./_tunnel.ts";

export interface ReportBench {
  ran: boolean;
  /** Why it did not run, or where its numbers come from. */
  note: string;
  /** What bench/report.ts wrote: numbers, or small objects of numbers (wall and CPU time). */
  numbers: Record<string, unknown>;
}

export interface Results {
  when: string;
  machine: { cpus: number; load_average: number[] };
  binaries: { daemon: string; edge: string };
  requests: RequestRow[];
  connect: ConnectRow[];
  bulk: BulkRow[];
  hang: HangRow;
  sse: SseRow[];
  cold_start: ColdStart;
  memory: { idle_after_start: Memory; with_streams: Memory & { streams: number }; idle_after_load: Memory };
  report: ReportBench;
  /** Rows the daemon stored for the MITM requests of this run (a sanity check: one per request). */
  captured_rows: { expected: number; stored: number };
  targets: Target[];
}

export interface Target {
  issue: string;
  pass: boolean | null;
  text: string;
}

const row = <T extends { path: string }>(rows: T[], path: string): T | undefined => rows.find((r) => r.path === path);

export function targets(r: Omit<Results, "targets">): Target[] {
  const t: Target[] = [];
  const add = (issue: string, pass: boolean | null, text: string) => t.push({ issue, pass, text });
  const [direct, mitm, dump] = [row(r.requests, "direct"), row(r.requests, "edge → daemon (MITM)"), row(r.requests, "mitmdump")];
  if (direct && mitm) {
    const added = mitm.p50_ms - direct.p50_ms;
    add("9.2, 4.11", added <= 0.5, `MITM adds <= 0.5 ms median per small keep-alive request: adds ${fmt(added, 3)} ms`);
  }
  if (mitm && dump) {
    const ratio = mitm.rps_concurrent / dump.rps_concurrent;
    add("9.2, 4.11", ratio >= 5, `MITM handles >= 5x mitmdump's requests/s: ${fmt(ratio, 1)}x (${fmt(mitm.rps_concurrent, 0)} vs ${fmt(dump.rps_concurrent, 0)}; one connection: ${fmt(mitm.rps_sequential / dump.rps_sequential, 1)}x)`);
  } else add("9.2, 4.11", null, "MITM vs mitmdump requests/s: mitmdump not installed");
  const [cDirect, cEdge] = [row(r.connect, "direct"), row(r.connect, "edge passthrough")];
  if (cDirect && cEdge) {
    const added = cEdge.p50_ms - cDirect.p50_ms;
    add("9.2, 3.8", added <= 0.3, `edge passthrough adds <= 0.3 ms median per new connection: adds ${fmt(added, 3)} ms`);
  }
  const [bDirect, bEdge, bTiny] = [row(r.bulk, "direct"), row(r.bulk, "edge passthrough"), row(r.bulk, "tinyproxy")];
  if (bEdge && bTiny) add("9.2, 3.8", bEdge.mb_s >= bTiny.mb_s, `edge bulk throughput >= tinyproxy's: ${fmt(bEdge.mb_s, 0)} vs ${fmt(bTiny.mb_s, 0)} MB/s (${fmt(bEdge.mb_s / bTiny.mb_s, 2)}x)`);
  else add("9.2, 3.8", null, "edge bulk vs tinyproxy: tinyproxy not installed");
  if (bDirect && bEdge) add("3.8", bEdge.mb_s >= bDirect.mb_s / 2, `edge bulk throughput >= 50% of direct: ${fmt((bEdge.mb_s / bDirect.mb_s) * 100, 1)}%`);
  const h = r.hang;
  add("13.1", h.hung_first_max_ms - h.healthy_p50_ms <= 250, `a hung daemon adds <= 250 ms to a new metered request: adds ${fmt(h.hung_first_max_ms - h.healthy_p50_ms, 1)} ms at worst over ${h.samples} stops`);
  add("9.2", r.cold_start.daemon_p50_ms < 150, `daemon exec to /health 200 < 150 ms: ${fmt(r.cold_start.daemon_p50_ms, 0)} ms median`);
  const idle = r.memory.idle_after_start;
  add("9.2, 3.8", idle.edge_mb < 40, `edge idle < 40 MB resident: ${fmt(idle.edge_mb, 1)} MB after start, ${fmt(r.memory.idle_after_load.edge_mb, 1)} MB idle after the load`);
  add("9.2", idle.daemon_mb < 80, `daemon idle < 80 MB resident: ${fmt(idle.daemon_mb, 1)} MB after start, ${fmt(r.memory.idle_after_load.daemon_mb, 1)} MB idle after the load`);
  const [sDirect, sMitm] = [row(r.sse, "direct"), row(r.sse, "edge → daemon (MITM)")];
  if (sDirect && sMitm) add("4.11", sMitm.ttfb_p50_ms - sDirect.ttfb_p50_ms <= 1, `SSE time to first byte within 1 ms of direct: +${fmt(sMitm.ttfb_p50_ms - sDirect.ttfb_p50_ms, 3)} ms`);
  return t;
}

const reportValue = (v: unknown): string =>
  v !== null && typeof v === "object"
    ? Object.entries(v)
        .map(([k, x]) => `${k.replace(/_/g, " ")} ${String(x)}`)
        .join(", ")
    : String(v);

const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(" | ")} |`, `| ${head.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

export function markdown(r: Results): string {
  const out: string[] = [];
  const d = row(r.requests, "direct");
  out.push(`Bench run ${r.when}: ${r.machine.cpus} CPUs, load average ${r.machine.load_average.map((x) => x.toFixed(2)).join(" ")} at the start; loopback; binaries ${r.binaries.daemon}, ${r.binaries.edge}.`);
  out.push("\n**Small request over keep-alive** (HTTPS, one Anthropic-shaped request and answer; latency on one connection, requests/s also with many connections at once)\n");
  out.push(
    table(
      ["path", "median (ms)", "p99 (ms)", "added median (ms)", "req/s, 1 conn", "req/s, concurrent"],
      r.requests.map((x) => [x.path, fmt(x.p50_ms, 3), fmt(x.p99_ms, 3), x === d || !d ? "" : fmt(x.p50_ms - d.p50_ms, 3), fmt(x.rps_sequential, 0), fmt(x.rps_concurrent, 0)]),
    ),
  );
  const cd = row(r.connect, "direct");
  out.push("\n**New connection** (TCP connect, CONNECT through the proxy, first byte echoed back)\n");
  out.push(table(["path", "median (ms)", "p99 (ms)", "added median (ms)"], r.connect.map((x) => [x.path, fmt(x.p50_ms, 3), fmt(x.p99_ms, 3), x === cd || !cd ? "" : fmt(x.p50_ms - cd.p50_ms, 3)])));
  const bd = row(r.bulk, "direct");
  out.push("\n**Bulk download through a tunnel** (median of the runs)\n");
  out.push(table(["path", "MB/s", "vs direct"], r.bulk.map((x) => [x.path, fmt(x.mb_s, 0), bd ? `${fmt((x.mb_s / bd.mb_s) * 100, 1)}%` : ""])));
  const h = r.hang;
  out.push("\n**A hung daemon** (SIGSTOP; its ports still accept): a new CONNECT to a metered host through the edge, connect to `200`\n");
  out.push(
    table(
      ["daemon", "median (ms)", "worst (ms)", "added at worst (ms)"],
      [
        ["answering (chained)", fmt(h.healthy_p50_ms, 3), "", ""],
        [`hung, the first request after each of ${h.samples} stops (tunnelled)`, fmt(h.hung_first_p50_ms, 1), fmt(h.hung_first_max_ms, 1), fmt(h.hung_first_max_ms - h.healthy_p50_ms, 1)],
      ],
    ),
  );
  const sd = row(r.sse, "direct");
  out.push("\n**SSE** (warm connection; lag = arrival minus the provider's write time, per event)\n");
  out.push(
    table(
      ["path", "first byte, median (ms)", "p99 (ms)", "added (ms)", "event lag, median (ms)", "p99 (ms)", "added (ms)", "all events"],
      r.sse.map((x) => [
        x.path,
        fmt(x.ttfb_p50_ms, 3),
        fmt(x.ttfb_p99_ms, 3),
        x === sd || !sd ? "" : fmt(x.ttfb_p50_ms - sd.ttfb_p50_ms, 3),
        fmt(x.event_lag_p50_ms, 3),
        fmt(x.event_lag_p99_ms, 3),
        x === sd || !sd ? "" : fmt(x.event_lag_p50_ms - sd.event_lag_p50_ms, 3),
        x.complete ? "yes" : "NO",
      ]),
    ),
  );
  const c = r.cold_start;
  const m = r.memory;
  out.push("\n**Start and memory**\n");
  out.push(
    table(
      ["measure", "edge", "daemon"],
      [
        ["exec to ready, median (ms): edge listening, daemon /health 200", fmt(c.edge_p50_ms, 0), fmt(c.daemon_p50_ms, 0)],
        ["first start ever (creates the CA and the database) (ms)", "", fmt(c.daemon_first_ms, 0)],
        ["resident, idle after start (MB)", fmt(m.idle_after_start.edge_mb, 1), fmt(m.idle_after_start.daemon_mb, 1)],
        [`resident, ${m.with_streams.streams} SSE streams open through both (MB)`, fmt(m.with_streams.edge_mb, 1), fmt(m.with_streams.daemon_mb, 1)],
        ["resident, idle after the whole load (MB)", fmt(m.idle_after_load.edge_mb, 1), fmt(m.idle_after_load.daemon_mb, 1)],
      ],
    ),
  );
  out.push(`\n**Report over a million rows** (bench/report.ts): ${r.report.note}\n`);
  if (r.report.ran) out.push(table(["measure", "value"], Object.entries(r.report.numbers).map(([k, v]) => [k, reportValue(v)])));
  out.push(`\nCaptured rows for the MITM requests of this run: ${r.captured_rows.stored} of ${r.captured_rows.expected}.`);
  out.push("\n**Targets** (reported, never failing the run)\n");
  for (const x of r.targets) out.push(`- ${x.pass === null ? "SKIP" : x.pass ? "PASS" : "FAIL"} (issue ${x.issue}) ${x.text}`);
  return `${out.join("\n")}\n`;
}
