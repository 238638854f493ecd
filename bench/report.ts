// Report benchmark: the queries behind `halton-meter report`, the API and the dashboard over a
// database of a million rows spread over 90 days, and `halton-meter report` end to end (a fresh
// process opening the file read-only: the compiled binary, and from source), each the median of
// several runs. Writes bench/results/report.json.
// Run: node_modules/.bin/bun bench/report.ts [rows=1000000]

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { insertRows, openStore, rebuildRollup, summary, summaryCube } from "../core/store/index.ts";
import { DAY, syntheticRow } from "./_rows.ts";

const total = Number(process.argv[2] ?? 1_000_000);
const now = Date.now();
const start = now - 90 * DAY;
const row = (i: number) => syntheticRow(i, total, start);

/**
 * Median wall time and median CPU time of several runs. The machine may be shared: CPU time (this
 * process's, or the child's from its resource usage) is what the work itself costs.
 */
function median(label: string, fn: () => number | void, runs = 7): { wall_ms: number; cpu_ms: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const childCpu = fn();
    wall.push(performance.now() - t0);
    const own = process.cpuUsage(c0);
    cpu.push(typeof childCpu === "number" ? childCpu : (own.user + own.system) / 1000);
  }
  const mid = (xs: number[]) => Math.round(xs.sort((a, b) => a - b)[Math.floor(runs / 2)]! * 10) / 10;
  const out = { wall_ms: mid(wall), cpu_ms: mid(cpu) };
  console.log(`${label}: ${out.wall_ms} ms wall, ${out.cpu_ms} ms CPU (medians of ${runs})`);
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "halton-bench-report-"));
const results: Record<string, number | { wall_ms: number; cpu_ms: number }> = { rows: total };
try {
  const path = join(dir, "db.sqlite");
  const store = openStore(path);
  let t0 = performance.now();
  const batch = 1000;
  for (let i = 0; i < total; i += batch) insertRows(store, Array.from({ length: Math.min(batch, total - i) }, (_, j) => row(i + j)));
  const insertRate = Math.round(total / ((performance.now() - t0) / 1000));
  results.insert_rows_per_s = insertRate;
  console.log(`insert with rollup (${batch}/transaction): ${insertRate} rows/s`);

  results.rollup_backfill = median(`rollup backfill of ${total} rows (what the migration does)`, () => void rebuildRollup(store.db), 1);

  const last30 = { since: now - 30 * DAY, excludeProviders: ["halton-meter"] };
  results.summary_total_30d = median("summary, total, last 30 days", () => void summary(store, last30));
  for (const groupBy of ["project", "model", "provider", "client", "day"] as const) {
    results[`summary_by_${groupBy}_30d`] = median(`summary by ${groupBy}, last 30 days`, () => void summary(store, { ...last30, groupBy }));
  }
  results.summary_by_model_all = median("summary by model, all time", () => void summary(store, { groupBy: "model" }));
  results.summary_by_day_all = median("summary by day, all time", () => void summary(store, { groupBy: "day" }));
  results.summary_by_day_project = median("summary by day, one project, last 30 days", () => void summary(store, { ...last30, groupBy: "day", project: "api" }));
  results.api_stats_cube_30d = median("the API's stats cube (day x provider x model x project x client, 6 groupings), last 30 days", () => {
    const cube = summaryCube(store, { ...last30, dims: ["day", "provider", "model", "project", "client"] });
    for (const dims of [["day"], ["provider"], ["model"], ["project"], ["client"], ["day", "provider"]] as const) cube.by([...dims]);
  });
  results.summary_by_model_24h = median("summary by model, last 24 hours (all raw)", () => void summary(store, { since: now - DAY, groupBy: "model" }));
  store.close();

  const root = join(import.meta.dir, "..");
  const binary = join(dir, "halton-meter");
  const built = Bun.spawnSync([process.execPath, "build", "--compile", "--minify", "--bytecode", "--format=esm", "--outfile", binary, join(root, "cmd", "halton-meter.ts")], { cwd: root, stdout: "ignore", stderr: "pipe" });
  if (built.exitCode !== 0) throw new Error(`compiling halton-meter failed: ${built.stderr.toString()}`);
  const env = { ...process.env, HALTON_METER_HOME: dir, NO_COLOR: "1" };
  const run = (argv: string[]): number => {
    const p = Bun.spawnSync(argv, { env, stdout: "pipe", stderr: "pipe" });
    if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${p.stderr.toString()}`);
    return Number(p.resourceUsage.cpuTime.total) / 1000;
  };
  results.cli_report = median("`halton-meter report` end to end (compiled binary)", () => run([binary, "report"]), 7);
  results.cli_report_by_model_vs_previous = median("`halton-meter report --by model --vs-previous` (compiled)", () => run([binary, "report", "--by", "model", "--vs-previous"]), 7);
  results.cli_report_by_day = median("`halton-meter report --by day` (compiled)", () => run([binary, "report", "--by", "day"]), 7);
  results.cli_version = median("`halton-meter --version` (compiled: process start alone)", () => run([binary, "--version"]), 7);
  results.cli_report_source = median("`bun cmd/halton-meter.ts report` (from source)", () => run([process.execPath, join(root, "cmd", "halton-meter.ts"), "report"]), 5);

  mkdirSync(join(import.meta.dir, "results"), { recursive: true });
  writeFileSync(join(import.meta.dir, "results", "report.json"), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
