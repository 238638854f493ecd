// Status line benchmark: `halton-meter statusline` as Claude Code runs it on every prompt refresh
// (the compiled binary, a fresh process, Claude Code's JSON piped on stdin), on a store of 200,000
// requests over 90 days with about 350,000 limit samples and one active session of 2,000 requests
// today; `halton-meter --version` (process start alone) for comparison. Also prints the query
// plans of the line's queries on that store. Writes bench/results/statusline.json.
// Run: node_modules/.bin/bun bench/statusline.ts [rows=200000] [runs=50]   (needs `make build`)

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL } from "../core/statusline/facts.ts";
import { insertRows, openStore, type RequestRow } from "../core/store/index.ts";
import type { LimitSampleRow } from "../core/store/limits.ts";
import { DAEMON_BINARY } from "./_env.ts";
import { DAY, syntheticRow } from "./_rows.ts";
import { fmt, median, quantile } from "./_stats.ts";

const total = Number(process.argv[2] ?? 200_000);
const runs = Number(process.argv[3] ?? 50);
const SESSION = "0b6f1c2e-5d4a-4c8b-9e7f-3a2d1c0b9a88";
const SESSION_ROWS = 2000;
const now = Date.now();
const HOUR = 3_600_000;

if (!existsSync(DAEMON_BINARY)) throw new Error(`${DAEMON_BINARY} is missing: run \`make build\` first`);

/** Anthropic's subscription windows as one response reports them. */
function windows(at: number, used: number): LimitSampleRow[] {
  const w = (window: string, utilization: number, resetsAt: number): LimitSampleRow => ({
    provider: "anthropic", window, kind: "subscription", utilization, limit: null, remaining: null, resetsAt, windowMinutes: null, status: "allowed", observedAt: at,
  });
  const fiveHour = Math.ceil(at / (5 * HOUR)) * 5 * HOUR;
  return [w("5h", used, fiveHour), w("7d", used / 3, Math.ceil(at / (7 * DAY)) * 7 * DAY), w("unified", used, fiveHour), w("overage", 0, fiveHour)];
}

/** The synthetic rows, Anthropic's with two accounts and their windows; then the session, today. */
function row(i: number): RequestRow {
  if (i >= total) {
    const j = i - total;
    const at = now - 2 * HOUR + Math.floor((j / SESSION_ROWS) * 2 * HOUR);
    const base = syntheticRow(j * 6, total, 0);
    return { ...base, exchangeId: `session-${j}`, startedAt: at, provider: "anthropic", model: "claude-sonnet-4-5", account: "acct-a", session: SESSION, limits: windows(at, 0.2 + (0.4 * j) / SESSION_ROWS) };
  }
  const r = syntheticRow(i, total, now - 90 * DAY - 2 * HOUR);
  if (r.provider !== "anthropic") return r;
  return { ...r, account: i % 4 === 0 ? "acct-b" : "acct-a", session: `old-${Math.floor(i / 300)}`, limits: windows(r.startedAt, (i % 100) / 100) };
}

interface Timing {
  p50_ms: number;
  p95_ms: number;
  runs: number;
}

/** What bench/results/statusline.json holds (bench/run.ts reads it). */
export interface StatuslineResults {
  requests: number;
  limit_samples: number;
  session_requests: number;
  statusline: Timing;
  statusline_no_database: Timing;
  version: Timing;
  /** The line the runs printed, without its colours. */
  line: string;
  plans: Record<string, string[]>;
}

interface Probe {
  argv: string[];
  env: Record<string, string>;
  stdin: string;
}

/**
 * Wall time of each probe, `runs` times, the probes taking turns round by round so that a shared
 * machine's load falls on all of them alike; the first rounds warm the page cache and are not kept.
 */
function timeInTurns(probes: Probe[]): Array<Timing & { stdout: string }> {
  const wall = probes.map(() => [] as number[]);
  const stdout = probes.map(() => "");
  for (let round = 0; round < runs + 3; round++) {
    probes.forEach((probe, i) => {
      const t0 = performance.now();
      const p = Bun.spawnSync(probe.argv, { env: probe.env, stdin: Buffer.from(probe.stdin), stdout: "pipe", stderr: "pipe" });
      const ms = performance.now() - t0;
      if (p.exitCode !== 0 || p.stderr.length > 0) throw new Error(`${probe.argv.join(" ")}: exit ${p.exitCode}, stderr ${p.stderr.toString()}`);
      stdout[i] = p.stdout.toString().trim();
      if (round >= 3) wall[i]!.push(ms);
    });
  }
  return wall.map((w, i) => ({ p50_ms: Math.round(median(w) * 10) / 10, p95_ms: Math.round(quantile(w, 0.95) * 10) / 10, runs, stdout: stdout[i]! }));
}

const dir = mkdtempSync(join(tmpdir(), "halton-bench-statusline-"));
try {
  const path = join(dir, "db.sqlite");
  const store = openStore(path);
  const t0 = performance.now();
  const all = total + SESSION_ROWS;
  for (let i = 0; i < all; i += 1000) insertRows(store, Array.from({ length: Math.min(1000, all - i) }, (_, j) => row(i + j)));
  const samples = (store.db.query("SELECT COUNT(*) AS n FROM limit_samples").get() as { n: number }).n;
  console.log(`store: ${all.toLocaleString("en")} requests, ${samples.toLocaleString("en")} limit samples, written in ${fmt((performance.now() - t0) / 1000, 1)} s`);

  console.log("query plans:");
  const plans: Record<string, string[]> = {};
  for (const [name, sql] of Object.entries(SQL)) {
    const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => "x");
    plans[name] = (store.db.query(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
    console.log(`  ${name}: ${plans[name]!.join("; ")}`);
  }
  store.close();

  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, HALTON_METER_HOME: dir, LANG: "C.UTF-8" };
  const input = JSON.stringify({ session_id: SESSION, transcript_path: join(dir, "t.jsonl"), cwd: dir, model: { id: "claude-sonnet-4-5", display_name: "Sonnet" }, workspace: { current_dir: dir, project_dir: dir }, version: "2.1.197", cost: { total_cost_usd: 1.23 } });
  const [line, empty, version] = timeInTurns([
    { argv: [DAEMON_BINARY, "statusline"], env, stdin: input },
    { argv: [DAEMON_BINARY, "statusline"], env: { ...env, HALTON_METER_HOME: join(dir, "none") }, stdin: input },
    { argv: [DAEMON_BINARY, "--version"], env, stdin: "" },
  ]) as [Timing & { stdout: string }, Timing & { stdout: string }, Timing & { stdout: string }];
  console.log(`statusline: ${line.stdout}`);
  console.log(`\`halton-meter statusline\` (compiled), ${runs} runs: median ${line.p50_ms} ms, p95 ${line.p95_ms} ms`);
  console.log(`\`halton-meter statusline\` with no database: median ${empty.p50_ms} ms, p95 ${empty.p95_ms} ms`);
  console.log(`\`halton-meter --version\` (process start alone): median ${version.p50_ms} ms, p95 ${version.p95_ms} ms`);

  const results: StatuslineResults = {
    requests: all,
    limit_samples: samples,
    session_requests: SESSION_ROWS,
    statusline: { p50_ms: line.p50_ms, p95_ms: line.p95_ms, runs },
    statusline_no_database: { p50_ms: empty.p50_ms, p95_ms: empty.p95_ms, runs },
    version: { p50_ms: version.p50_ms, p95_ms: version.p95_ms, runs },
    line: line.stdout.replace(/\x1b\[[0-9;]*m/g, ""),
    plans,
  };
  mkdirSync(join(import.meta.dir, "results"), { recursive: true });
  writeFileSync(join(import.meta.dir, "results", "statusline.json"), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
