// `make bench`: one run, on loopback, side by side with the peers a user would otherwise pick,
// against a local fake provider (TLS, test CA). Prints one table, the target lines, and writes
// bench/results/latest.{md,json} (plus a timestamped copy). It reports; it never fails on noise.
// Run: node_modules/.bin/bun bench/run.ts [--quick]   (--quick: small counts, to try the bench)
// Needs the compiled binaries (`make build`; BENCH_DIST=dir points at another build).

import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { DAEMON_BINARY, EDGE_BINARY, makeEnv, METERED_HOST, startMitmdump, startTinyproxy } from "./_env.ts";
import { measureHang } from "./_hang.ts";
import { type Memory, measureColdStart, memoryNow, memoryWithStreams } from "./_lifecycle.ts";
import { BUN } from "./_procs.ts";
import { measureRequests, type NamedRoute } from "./_requests.ts";
import { measureSse } from "./_sse.ts";
import type { StatuslineResults } from "./statusline.ts";
import { markdown, type ReportBench, type Results, targets } from "./_table.ts";
import { measureBulk, measureConnect, type TunnelPath } from "./_tunnel.ts";

const quick = process.argv.includes("--quick");
const N = quick
  ? { rounds: 2, perRound: 100, warmup: 50, connections: 8, seconds: 1, connects: 100, bulk: 64 << 20, bulkRuns: 3, hangs: 3, streams: 5, sseWarmup: 20, cold: 2, open: 50, reportRows: 20_000 }
  : { rounds: 5, perRound: 400, warmup: 300, connections: 16, seconds: 3, connects: 1000, bulk: 512 << 20, bulkRuns: 5, hangs: 10, streams: 20, sseWarmup: 200, cold: 7, open: 200, reportRows: 1_000_000 };
const MITM = "edge → daemon (MITM)";
const RESULTS = join(import.meta.dir, "results");

for (const bin of [DAEMON_BINARY, EDGE_BINARY]) if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`make build\` first`);

const step = (what: string) => console.error(`bench: ${what}`);

/** bench/report.ts (the report helper's) in its own process; its numbers come from report.json. */
async function reportBench(rows: number): Promise<ReportBench> {
  const script = join(import.meta.dir, "report.ts");
  if (!existsSync(script)) return { ran: false, note: "MISSING: bench/report.ts does not exist yet", numbers: {} };
  const out = join(RESULTS, "report.json");
  rmSync(out, { force: true });
  const p = Bun.spawn([BUN, script, String(rows)], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0 || !existsSync(out)) return { ran: false, note: `FAILED (exit ${code}): ${(stderr || stdout).trim().split("\n").slice(-3).join(" ")}`, numbers: {} };
  return { ran: true, note: `${rows.toLocaleString("en")} rows, numbers from bench/results/report.json`, numbers: JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown> };
}

/** bench/statusline.ts in its own process: the compiled `halton-meter statusline` as Claude Code runs it. */
async function statuslineBench(rows: number): Promise<{ ran: true; numbers: StatuslineResults } | { ran: false; note: string }> {
  const out = join(RESULTS, "statusline.json");
  rmSync(out, { force: true });
  const p = Bun.spawn([BUN, join(import.meta.dir, "statusline.ts"), String(rows)], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0 || !existsSync(out)) return { ran: false, note: `FAILED (exit ${code}): ${(stderr || stdout).trim().split("\n").slice(-3).join(" ")}` };
  return { ran: true, numbers: JSON.parse(readFileSync(out, "utf8")) as StatuslineResults };
}

function statuslineMarkdown(b: Awaited<ReturnType<typeof statuslineBench>>): string {
  const head = "\n**Status line** (bench/statusline.ts: the compiled binary, a fresh process per run, Claude Code's JSON piped on stdin)\n\n";
  if (!b.ran) return `${head}${b.note}\n`;
  const n = b.numbers;
  const rows: Array<[string, { p50_ms: number; p95_ms: number }]> = [
    [`\`halton-meter statusline\`: ${n.requests.toLocaleString("en")} requests, ${n.limit_samples.toLocaleString("en")} limit samples, a session of ${n.session_requests.toLocaleString("en")}`, n.statusline],
    ["`halton-meter statusline` with no database", n.statusline_no_database],
    ["`halton-meter --version` (process start alone)", n.version],
  ];
  const table = ["| run | median (ms) | p95 (ms) |", "| --- | ---: | ---: |", ...rows.map(([what, t]) => `| ${what} | ${t.p50_ms} | ${t.p95_ms} |`)].join("\n");
  return `${head}${table}\n\n${n.statusline.runs} runs each; the line: \`${n.line}\`\n`;
}

function storedRows(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.query("SELECT count(*) AS n FROM requests WHERE provider = 'anthropic'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function main(dir: string): Promise<Results> {
  const load = loadavg();
  step("fake provider, targets, test CA");
  const env = await makeEnv(dir, N.bulk);
  try {
    step("cold starts");
    const cold = await measureColdStart(env, N.cold);
    await env.startDaemon();
    await env.startEdge();
    step("peers");
    await Promise.all([startTinyproxy(env), startMitmdump(env)]);
    await Bun.sleep(1000);
    const idleAfterStart = memoryNow(env);

    const test = env.certs.caPem;
    const direct: NamedRoute = { name: "direct", route: { servername: METERED_HOST, ca: test, port: env.provider } };
    const mitm: NamedRoute = { name: MITM, route: { servername: METERED_HOST, ca: env.meterCa, proxy: { port: env.ports.edge, authority: `${METERED_HOST}:443` } } };
    const dump: NamedRoute[] = env.mitmdump ? [{ name: "mitmdump", route: { servername: METERED_HOST, ca: env.mitmdump.ca, proxy: { port: env.mitmdump.port, authority: `127.0.0.1:${env.provider}` } } }] : [];
    const passthrough: NamedRoute = { name: "edge passthrough", route: { servername: METERED_HOST, ca: test, proxy: { port: env.ports.edge, authority: `127.0.0.1:${env.provider}` } } };

    step("small requests over keep-alive");
    const requests = await measureRequests([direct, passthrough, mitm, ...dump], { host: METERED_HOST, ...N });
    step("SSE");
    const sse = await measureSse([direct, mitm, ...dump], { host: METERED_HOST, streams: N.streams, events: 10, gapMs: 5, warmup: N.sseWarmup });

    const tunnels: TunnelPath[] = [{ name: "direct" }, { name: "edge passthrough", proxy: env.ports.edge }, ...(env.tinyproxy ? [{ name: "tinyproxy", proxy: env.tinyproxy.port }] : [])];
    step("new connections");
    const connect = await measureConnect(tunnels, env.echo, N.connects, 50);
    step("bulk");
    const bulk = await measureBulk(tunnels, env.source, N.bulk, N.bulkRuns);

    step("a hung daemon");
    const hang = await measureHang(env.daemon!.pid, env.ports, N.hangs);

    step(`${N.open} open streams`);
    const withStreams = await memoryWithStreams(env, N.open);
    // The edge collects its garbage 2 s after its last connection closes (core/edge/server.ts).
    await Bun.sleep(3000);
    const idleAfterLoad: Memory = memoryNow(env);
    const expected = requests.find((r) => r.path === MITM)!.requests + sse.find((r) => r.path === MITM)!.requests + withStreams.streams;
    const captured = { expected, stored: storedRows(join(env.meterHome, "db.sqlite")) };
    await env.procs.stopAll();

    step("report over a million rows");
    const report = await reportBench(N.reportRows);
    const partial: Omit<Results, "targets"> = {
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, load_average: load },
      binaries: { daemon: DAEMON_BINARY, edge: EDGE_BINARY },
      requests,
      connect,
      bulk,
      hang,
      sse,
      cold_start: cold,
      memory: { idle_after_start: idleAfterStart, with_streams: withStreams, idle_after_load: idleAfterLoad },
      report,
      captured_rows: captured,
    };
    return { ...partial, targets: targets(partial) };
  } finally {
    await env.procs.stopAll();
  }
}

const dir = mkdtempSync(join(tmpdir(), "hm-bench-"));
try {
  const measured = await main(dir);
  step("the status line");
  const statusline = await statuslineBench(quick ? 20_000 : 200_000);
  const results = { ...measured, statusline };
  const md = `${markdown(measured)}${statuslineMarkdown(statusline)}`;
  console.log(`\n${md}`);
  mkdirSync(RESULTS, { recursive: true });
  const stamp = results.when.replace(/[:.]/g, "-");
  for (const name of ["latest", stamp]) {
    writeFileSync(join(RESULTS, `${name}.md`), md);
    writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  }
  console.log(`wrote bench/results/latest.md and latest.json (and ${stamp}.*)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
