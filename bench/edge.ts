// Edge benchmark, on loopback, side by side in one run: direct to the target vs CONNECT through
// the edge (passthrough: no daemon) vs CONNECT through Debian's tinyproxy.
//   (a) new-connection cost: connect -> first echoed byte, N sequential connections each
//   (b) bulk: BULK bytes downloaded through each path (median of 3 runs)
//   (c) the edge's VmRSS after start and after the runs
// Run: node_modules/.bin/bun bench/edge.ts [connections=2000] [bulk_bytes=1073741824]
// The edge is dist/halton-meter-edge when built (`make build`), else `bun cmd/edge.ts`.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

const ROOT = join(import.meta.dir, "..");
const BUN = process.execPath;
const N = Number(process.argv[2] ?? 2000);
const BULK = Number(process.argv[3] ?? 1024 ** 3);
const BULK_RUNS = 3;
const WARMUP = 50;
const TINYPROXY = "/usr/bin/tinyproxy";
const EDGE_BINARY = join(ROOT, "dist/halton-meter-edge");

interface Path {
  name: "direct" | "edge" | "tinyproxy";
  /** The proxy's port; absent = connect to the target itself. */
  proxy?: number;
}

const procs: Subprocess[] = [];
const dir = mkdtempSync(join(tmpdir(), "hm-bench-edge-"));

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

async function until<T>(check: () => T | undefined | null | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

function rssMB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Reads a child's stdout into `out.text` as it arrives. */
function collect(p: Subprocess): { text: string } {
  const out = { text: "" };
  void (async () => {
    for await (const chunk of p.stdout as ReadableStream<Uint8Array>) out.text += new TextDecoder().decode(chunk);
  })();
  return out;
}

/**
 * One connection: connect (to the proxy, then CONNECT to `target`), send `first`, and call
 * `onData` with every byte the target sends back until it returns true. Resolves with the ms
 * from the connect call to that moment.
 */
function session(path: Path, target: number, first: string, onData: (n: number) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let established = path.proxy === undefined;
    let head = "";
    let done = false;
    const finish = (s: { end(): void }) => {
      if (done) return;
      done = true;
      const ms = performance.now() - t0;
      s.end();
      resolve(ms);
    };
    Bun.connect({
      hostname: "127.0.0.1",
      port: path.proxy ?? target,
      socket: {
        open(s) {
          s.setNoDelay(true);
          s.write(established ? first : `CONNECT 127.0.0.1:${target} HTTP/1.1\r\nHost: 127.0.0.1:${target}\r\n\r\n`);
        },
        data(s, d) {
          if (done) return;
          let n = d.length;
          if (!established) {
            head += d.toString("latin1");
            const end = head.indexOf("\r\n\r\n");
            if (end < 0) return;
            if (!/^HTTP\/1\.[01] 200/.test(head)) return reject(new Error(`${path.name}: CONNECT refused: ${head.split("\r\n")[0]}`));
            established = true;
            n = head.length - end - 4;
            s.write(first);
            if (n === 0) return;
          }
          if (onData(n)) finish(s);
        },
        close() {
          if (!done) reject(new Error(`${path.name}: closed early`));
        },
        connectError: (_s, e) => reject(e),
        error: (_s, e) => reject(e),
      },
    }).catch(reject);
  });
}

const connectCost = (path: Path, echoPort: number) => session(path, echoPort, "x", () => true);

function bulk(path: Path, sourcePort: number): Promise<number> {
  let got = 0;
  return session(path, sourcePort, "g", (n) => (got += n) >= BULK).then((ms) => BULK / 1e6 / (ms / 1000));
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]) => quantile(xs, 0.5);

async function main(): Promise<void> {
  // The targets, in a process of their own.
  const servers = Bun.spawn([BUN, join(import.meta.dir, "_servers.ts"), String(BULK)], { stdout: "pipe", stderr: "inherit" });
  procs.push(servers);
  const serversOut = collect(servers);
  const { echo, source } = JSON.parse(await until(() => serversOut.text.split("\n")[0]?.trim(), "the target servers")) as { echo: number; source: number };

  // The edge, with its daemon ports pointing at nothing: every CONNECT is passthrough.
  const home = join(dir, "meter");
  mkdirSync(home);
  const ports = { edge: freePort(), internal: freePort(), api: freePort() };
  writeFileSync(join(home, "config.toml"), `[daemon]\nedge_port = ${ports.edge}\ninternal_port = ${ports.internal}\napi_port = ${ports.api}\n`);
  const compiled = existsSync(EDGE_BINARY);
  const edge = Bun.spawn(compiled ? [EDGE_BINARY] : [BUN, join(ROOT, "cmd/edge.ts")], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, HALTON_METER_HOME: home, NO_COLOR: "1" },
    stdout: "ignore",
    stderr: "inherit",
  });
  procs.push(edge);
  await until(() => existsSync(join(home, "edge.log")) && readFileSync(join(home, "edge.log"), "utf8").includes('"edge.startup.ready"'), "edge.startup.ready");
  await Bun.sleep(500); // let start-up settle before reading its memory
  const rssAfterStart = rssMB(edge.pid);

  const paths: Path[] = [{ name: "direct" }, { name: "edge", proxy: ports.edge }];
  if (existsSync(TINYPROXY)) {
    const port = freePort();
    const conf = join(dir, "tinyproxy.conf");
    writeFileSync(conf, [`Port ${port}`, "Listen 127.0.0.1", "Timeout 600", "MaxClients 200", "Allow 127.0.0.1", `ConnectPort ${echo}`, `ConnectPort ${source}`, "LogLevel Critical", "DisableViaHeader Yes", ""].join("\n"));
    const tp = Bun.spawn([TINYPROXY, "-d", "-c", conf], { stdout: "ignore", stderr: "ignore" });
    procs.push(tp);
    await until(() => {
      try {
        const l = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
        l.stop(true);
        return false;
      } catch {
        return true;
      }
    }, "tinyproxy to listen");
    paths.push({ name: "tinyproxy", proxy: port });
  } else console.log(`(${TINYPROXY} not found: tinyproxy column skipped)`);

  console.log(`edge: ${compiled ? "dist/halton-meter-edge" : "bun cmd/edge.ts"} (pid ${edge.pid}), ${N} connections per path, ${BULK} bytes bulk x ${BULK_RUNS}`);

  // (a) New-connection cost, interleaved so that drift hits every path alike.
  const samples: Record<string, number[]> = Object.fromEntries(paths.map((p) => [p.name, []]));
  for (let i = 0; i < WARMUP; i++) for (const p of paths) await connectCost(p, echo);
  for (let i = 0; i < N; i++) for (const p of paths) samples[p.name]!.push(await connectCost(p, echo));

  // (b) Bulk throughput.
  const throughput: Record<string, number[]> = Object.fromEntries(paths.map((p) => [p.name, []]));
  for (let r = 0; r < BULK_RUNS; r++) for (const p of paths) throughput[p.name]!.push(await bulk(p, source));

  // (c) Memory once idle again.
  await Bun.sleep(1000);
  const rssAfterRuns = rssMB(edge.pid);

  const rows = paths.map((p) => ({
    path: p.name,
    connect_median_ms: median(samples[p.name]!),
    connect_p99_ms: quantile(samples[p.name]!, 0.99),
    bulk_mb_s: median(throughput[p.name]!),
  }));
  const row = (name: string) => rows.find((r) => r.path === name);
  const direct = row("direct")!;
  const edgeRow = row("edge")!;
  const tiny = row("tinyproxy");
  const added = edgeRow.connect_median_ms - direct.connect_median_ms;
  const results = {
    when: new Date().toISOString(),
    edge: compiled ? "dist/halton-meter-edge" : "bun cmd/edge.ts",
    connections: N,
    bulk_bytes: BULK,
    rows,
    edge_added_median_ms: added,
    tinyproxy_added_median_ms: tiny ? tiny.connect_median_ms - direct.connect_median_ms : null,
    edge_vs_direct: edgeRow.bulk_mb_s / direct.bulk_mb_s,
    edge_vs_tinyproxy: tiny ? edgeRow.bulk_mb_s / tiny.bulk_mb_s : null,
    edge_rss_mb: { after_start: rssAfterStart, after_runs: rssAfterRuns },
  };

  const f = (x: number, d = 3) => x.toFixed(d);
  console.log("\n| path | connect → first echo, median (ms) | p99 (ms) | added median vs direct (ms) | bulk (MB/s) |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(`| ${r.path} | ${f(r.connect_median_ms)} | ${f(r.connect_p99_ms)} | ${r.path === "direct" ? "" : f(r.connect_median_ms - direct.connect_median_ms)} | ${f(r.bulk_mb_s, 0)} |`);
  console.log(`\nbulk ratios: edge/direct ${f(results.edge_vs_direct, 2)}${tiny ? `, edge/tinyproxy ${f(results.edge_vs_tinyproxy!, 2)}` : ""}`);
  console.log(`edge VmRSS: ${f(rssAfterStart, 1)} MB after start, ${f(rssAfterRuns, 1)} MB after the runs\n`);

  const target = (ok: boolean, text: string) => console.log(`${ok ? "PASS" : "FAIL"} ${text}`);
  target(added <= 0.3, `edge adds <= 0.3 ms median per new CONNECT (adds ${f(added)} ms)`);
  target(results.edge_vs_direct >= 0.5, `edge bulk throughput >= 50% of direct (${f(results.edge_vs_direct * 100, 1)}%)`);
  if (tiny) target(edgeRow.bulk_mb_s >= tiny.bulk_mb_s, `edge bulk throughput >= tinyproxy (${f(edgeRow.bulk_mb_s, 0)} vs ${f(tiny.bulk_mb_s, 0)} MB/s)`);
  target(rssAfterStart < 40, `edge idle RSS < 40 MB after start (${f(rssAfterStart, 1)} MB)`);
  target(rssAfterRuns < 40, `edge idle RSS < 40 MB after the runs (${f(rssAfterRuns, 1)} MB)`);

  mkdirSync(join(import.meta.dir, "results"), { recursive: true });
  writeFileSync(join(import.meta.dir, "results", "edge.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log("\nwrote bench/results/edge.json");
}

try {
  await main();
} finally {
  for (const p of procs) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {}
  }
  await Promise.all(procs.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
}
