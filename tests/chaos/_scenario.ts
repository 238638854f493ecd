// One chaos run: a fake provider, the edge and the daemon (compiled binaries, real processes),
// Bun, Node and curl clients sending streaming and plain requests through the edge, and a
// timeline of faults: kill -9, SIGTERM, restart, upgrade by rename, the API port taken by an
// impostor that answers "healthy", the store's files made read-only, a daemon hung by SIGSTOP,
// an abandoned TLS handshake, a FIFO .haltonrc above every client's cwd, a torn
// effective-ports.json before a daemon start, and provider resets in
// the middle of streams (every 7th request asks for one). Returns the counts of _summary.ts.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { serverCertFiles } from "../harness/certs.ts";
import { type MeterEnv, startMeter } from "../harness/meter.ts";
import { providerProcessArgv } from "../harness/provider-process.ts";
import { BUN, canConnect, waitFor } from "../harness/sandbox.ts";
import { abandonHandshake, bunRequest } from "./_bun-request.ts";
import { now, type Outcome } from "./_load.ts";
import { type Meter, startChaosMeter } from "./_meter.ts";
import { type ChaosSummary, summarise } from "./_summary.ts";

export interface ChaosOptions {
  /** Concurrent request loops per client kind. */
  loops: { bun: number; node: number; curl: number };
  /** How long each calm stretch between faults lasts. */
  phaseMs: number;
  /** Fault rounds: the whole timeline is played this many times. */
  rounds: number;
  sseEvents: number;
  sseGapMs: number;
  /** Progress lines (the timeline as it happens). */
  log?: (line: string) => void;
}

export interface ChaosResult {
  summary: ChaosSummary;
  timeline: string[];
  /** False when this machine cannot make files read-only for root (no chattr rights): that fault was skipped. */
  readOnlyFault: boolean;
  /** Whether the daemon refused to start while the impostor held the API port. */
  refusedTakenPort: boolean;
  /** After a torn effective-ports.json and a daemon restart, the file names the edge's port and the edge still listens. */
  portsKept: boolean;
  /** Daemons that died on their own (target: none): how, and the end of their stderr. */
  unexpectedExits: string[];
  /** `capture.store_error` lines in daemon.log: proof that the read-only store refused writes. */
  storeErrors: number;
  /** `attribution.file_ignored` lines naming the planted FIFO: proof that attribution met it. */
  fifoNoted: number;
}

const HERE = import.meta.dir;

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const t0 = now();
  const timeline: string[] = [];
  const mark = (what: string) => {
    const line = `${((now() - t0) / 1000).toFixed(1).padStart(5)} s  ${what}`;
    timeline.push(line);
    o.log?.(line);
  };
  const kills: number[] = [];
  const hangs: Array<{ from: number; to: number }> = [];
  const clients: Subprocess[] = [];
  const { meter, bundle, providerPort } = await startWorld();
  const { env } = meter;
  const { sb } = env;
  try {
    mark(`edge pid ${meter.edge.pid}, daemon pid ${meter.daemon!.pid}, provider on ${providerPort}`);

    const outcomes: Outcome[] = [];
    const ca = readFileSync(bundle, "utf8");
    // A FIFO named .haltonrc above the clients' cwd (anybody can make /tmp/.haltonrc): every
    // metered request's attribution meets it, and none may wait on it.
    if (Bun.spawnSync(["mkfifo", join(sb.root, ".haltonrc")]).exitCode !== 0) throw new Error("mkfifo failed");
    const args = (loops: number) => [String(sb.ports.edge), bundle, String(loops), String(o.sseEvents), String(o.sseGapMs)];
    const drivers: Array<[number, string[]]> = [
      [o.loops.bun, [BUN, join(HERE, "_bun-client.ts")]],
      [o.loops.node, ["node", join(HERE, "_node-client.mjs")]],
      [o.loops.curl, [BUN, join(HERE, "_curl-client.ts")]],
    ];
    const collecting: Promise<void>[] = [];
    for (const [loops, argv] of drivers) {
      if (loops === 0) continue;
      const p = sb.spawn([...argv, ...args(loops)], { stderr: "inherit" });
      clients.push(p);
      collecting.push(collect(p, outcomes));
    }
    const calm = () => Bun.sleep(o.phaseMs);
    let readOnlyFault = true;
    let refusedTakenPort = true;
    let portsKept = true;

    for (let round = 0; round < o.rounds; round++) {
      await calm();
      mark("kill -9 the daemon");
      kills.push(now());
      await meter.kill9();
      await calm();
      await meter.startDaemon();
      mark(`daemon restarted (pid ${meter.daemon?.pid})`);
      await calm();
      mark("SIGTERM the daemon");
      await meter.stop();
      // The daemon re-reads the ports file at start; the running edge must keep its port through it.
      writeFileSync(join(sb.meterHome, "effective-ports.json"), "{ torn");
      mark("daemon stopped; effective-ports.json torn");
      await calm();
      await meter.startDaemon();
      portsKept &&= JSON.parse(readFileSync(join(sb.meterHome, "effective-ports.json"), "utf8")).edge === sb.ports.edge && (await canConnect(sb.ports.edge));
      mark(`daemon started (pid ${meter.daemon?.pid}); effective-ports.json records the edge's port again`);
      await calm();
      await meter.upgrade();
      mark(`daemon upgraded: new binary renamed over the old, restarted (pid ${meter.daemon?.pid})`);
      await calm();
      await meter.stop();
      const impostor = meter.takeApiPort();
      mark("daemon stopped; another process now holds the API port and answers 200 to everything");
      const started = await meter.startDaemon();
      refusedTakenPort &&= started === null;
      mark(started ? "the daemon started anyway (unexpected)" : "the daemon refused to start: its API port is taken");
      await calm();
      impostor.stop(true);
      if (!meter.daemon) await meter.startDaemon();
      mark(`API port free again, daemon started (pid ${meter.daemon?.pid})`);
      await calm();
      const ro = await meter.readOnly(true);
      readOnlyFault &&= ro;
      mark(ro ? "the store's files are read-only (chattr +i)" : "cannot make files read-only here: fault skipped");
      await calm();
      await calm();
      if (ro) await meter.readOnly(false);
      mark("the store is writable again");
      await calm();
      mark("kill -9 the daemon and restart it at once");
      kills.push(now());
      await meter.kill9();
      await meter.startDaemon();
      mark(`daemon restarted (pid ${meter.daemon?.pid})`);
      await calm();
      mark("SIGSTOP the daemon: hung, its ports still accept");
      const from = now();
      meter.freeze(true);
      // The load's loops may all be inside the daemon now (they resume with it): new requests
      // are what must pass by, so send some, one after another, while it hangs.
      for (let i = 0; i < 5; i++) outcomes.push(await bunRequest({ edgePort: sb.ports.edge, sseEvents: o.sseEvents, sseGapMs: o.sseGapMs }, ca, "hang-probe", `hang-${round}-${i}`, "json"));
      await calm();
      meter.freeze(false);
      hangs.push({ from, to: now() });
      mark("SIGCONT: the daemon resumes");
      // A client that gives up mid-handshake must not lose its metering: this process abandons
      // one, then its next requests must each be metered (a row each: the summary's targets).
      await waitFor(() => meter.healthy(), "the daemon to answer again");
      // The edge's "unhealthy" from the hang expires: the load's next connection is chained again.
      const chainedBefore = chained(env);
      await waitFor(() => chained(env) > chainedBefore, "the edge to chain a connection to the daemon again");
      await abandonHandshake(sb.ports.edge);
      mark("this process abandoned a TLS handshake (half a ClientHello, then gone)");
      for (let i = 0; i < 5; i++) outcomes.push(await bunRequest({ edgePort: sb.ports.edge, sseEvents: o.sseEvents, sseGapMs: o.sseGapMs }, ca, "after-abandon", `abandon-${round}-${i}`, "json"));
    }
    await calm();
    mark("clients stop");
    for (const c of clients) process.kill(c.pid, "SIGTERM");
    await Promise.all(collecting);
    await Promise.all(clients.map((c) => c.exited));
    // A graceful stop commits what the writer still holds.
    await meter.stop();
    mark("daemon stopped gracefully; counting");
    const rows = new Map(meter.rows().map((r) => [r.user_agent ?? "", r.n] as const));
    const summary = summarise({ outcomes, kills, hangs, rows, integrity: meter.integrity() });
    for (const e of meter.unexpectedExits) mark(e);
    const daemonLog = readFileSync(join(sb.meterHome, "daemon.log"), "utf8").split("\n");
    const storeErrors = daemonLog.filter((l) => l.includes('"capture.store_error"')).length;
    const fifoNoted = daemonLog.filter((l) => l.includes('"attribution.file_ignored"') && l.includes("not a regular file")).length;
    return { summary, timeline, readOnlyFault, refusedTakenPort, portsKept, unexpectedExits: meter.unexpectedExits, storeErrors, fifoNoted };
  } finally {
    for (const c of clients) if (c.exitCode === null) process.kill(c.pid, "SIGKILL");
    await env.stop();
  }
}

export interface World {
  meter: Meter;
  providerPort: number;
  /** The provider's CA (what a tunnelled exchange shows) and the meter's CA, in one PEM file. */
  bundle: string;
}

/** Connections the edge has chained to a daemon that answered. */
const chained = (env: MeterEnv) => env.logEvents("edge.log").filter((l) => l.event === "edge.chained").length;

/** The provider (a process of its own), the config pointing api.anthropic.com at it, the edge and a healthy daemon. */
export async function startWorld(): Promise<World> {
  const env = await startMeter({ prefix: "hm-chaos-", fake: false, daemon: false, edge: false });
  try {
    const files = serverCertFiles(env.sb.root);
    const provider = env.sb.spawn(providerProcessArgv(files.cert, files.key, { via: true }), { stderr: "inherit" });
    const providerPort = (JSON.parse((await readLine(provider)) ?? "{}") as { port: number }).port;
    env.writeConfig({ resolve: { "api.anthropic.com": providerPort } });
    const meter = await startChaosMeter(env);
    if (!(await meter.startDaemon())) throw new Error("the daemon did not start");
    // Clients trust the provider's CA (tunnelled) and the meter's (metered), as a set-up user does.
    const bundle = join(env.sb.root, "bundle.pem");
    writeFileSync(bundle, env.certs.caPem + env.ourCaPem);
    return { meter, providerPort, bundle };
  } catch (err) {
    await env.stop();
    throw err;
  }
}

async function readLine(p: Subprocess): Promise<string | null> {
  const reader = (p.stdout as ReadableStream<Uint8Array>).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) return null;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text.split("\n")[0]!;
}

/** Reads a client's Outcome lines as they come. */
async function collect(p: Subprocess, into: Outcome[]): Promise<void> {
  let rest = "";
  const decoder = new TextDecoder();
  for await (const chunk of p.stdout as ReadableStream<Uint8Array>) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const l of lines) if (l.trim()) into.push(JSON.parse(l) as Outcome);
  }
}

