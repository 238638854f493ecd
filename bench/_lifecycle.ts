// Cold start (exec to healthy) and resident memory, measured from outside the processes.

import { type BenchEnv, DAEMON_BINARY, EDGE_BINARY, METERED_HOST } from "./_env.ts";
import { HttpsConn, messagesRequest } from "./_https.ts";
import { canConnect, healthy, rssMB } from "./_procs.ts";
import { median } from "./_stats.ts";

export interface ColdStart {
  /** The very first start, which also creates the CA and the database. */
  daemon_first_ms: number;
  daemon_p50_ms: number;
  daemon_runs_ms: number[];
  edge_p50_ms: number;
  edge_runs_ms: number[];
}

/** Exec -> `ready()` true, polled every millisecond; then a graceful stop. */
async function timeStart(env: BenchEnv, name: string, argv: string[], ready: () => Promise<boolean>): Promise<number> {
  const t0 = performance.now();
  const p = env.procs.spawn(name, argv);
  while (!(await ready())) {
    if (p.exitCode !== null) throw new Error(`${name} exited (${p.exitCode}) before it was ready: see ${env.dir}/${name}.err`);
    if (performance.now() - t0 > 20_000) throw new Error(`${name} not ready after 20 s`);
    await Bun.sleep(1);
  }
  const ms = performance.now() - t0;
  await env.procs.stop(p);
  return ms;
}

/** Needs the daemon's and the edge's ports free: run it before starting them for good. */
export async function measureColdStart(env: BenchEnv, runs: number): Promise<ColdStart> {
  const daemonReady = () => healthy(env.ports.api);
  const first = await timeStart(env, "daemon-cold", [DAEMON_BINARY, "daemon"], daemonReady);
  const daemon: number[] = [];
  for (let i = 0; i < runs; i++) daemon.push(await timeStart(env, "daemon-cold", [DAEMON_BINARY, "daemon"], daemonReady));
  const edge: number[] = [];
  for (let i = 0; i < runs; i++) edge.push(await timeStart(env, "edge-cold", [EDGE_BINARY], () => canConnect(env.ports.edge)));
  return { daemon_first_ms: first, daemon_p50_ms: median(daemon), daemon_runs_ms: daemon, edge_p50_ms: median(edge), edge_runs_ms: edge };
}

export interface Memory {
  edge_mb: number;
  daemon_mb: number;
}

export function memoryNow(env: BenchEnv): Memory {
  return { edge_mb: rssMB(env.edge!.pid), daemon_mb: rssMB(env.daemon!.pid) };
}

/**
 * `n` SSE streams held open at once through the edge and the daemon (each has had its first
 * event); resident memory of both while they are open.
 */
export async function memoryWithStreams(env: BenchEnv, n: number): Promise<Memory & { streams: number }> {
  const route = { servername: METERED_HOST, ca: env.meterCa, proxy: { port: env.ports.edge, authority: `${METERED_HOST}:443` } };
  const req = messagesRequest(METERED_HOST, "?sse=100000&gap=1000");
  const conns: HttpsConn[] = [];
  const started: Promise<void>[] = [];
  const ended: Promise<unknown>[] = [];
  // Opened in batches: 200 TLS handshakes at once would measure a handshake storm instead.
  for (let i = 0; i < n; i += 20) {
    const batch = await Promise.all(Array.from({ length: Math.min(20, n - i) }, () => HttpsConn.open(route)));
    for (const c of batch) {
      conns.push(c);
      started.push(
        new Promise<void>((resolve) => {
          ended.push(c.request(req, () => resolve()).catch(() => {}));
        }),
      );
    }
  }
  await Promise.all(started);
  await Bun.sleep(500);
  const mem = memoryNow(env);
  for (const c of conns) c.abort();
  await Promise.all(ended);
  return { ...mem, streams: conns.length };
}
