// One sandbox for a hostile corpus: a scriptable fake provider, the daemon and the edge as real
// processes (from source), with extra config (a short head timeout, a small connection limit,
// body capture). Plus what every corpus ends with: both still serve, and stayed small.

import { Database } from "bun:sqlite";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { procStatusBytes, rssBytes } from "../harness/edge-process.ts";
import { type FakeProvider, type Script, makeTestCerts, startFakeProvider } from "../harness/fake-provider.ts";
import { BUN, canConnect, makeSandbox, repoRoot, type Sandbox, waitFor } from "../harness/sandbox.ts";
import { configText, healthy } from "../daemon/_env.ts";

export interface HostileEnv {
  sb: Sandbox;
  fake: FakeProvider;
  daemon: Subprocess;
  edge: Subprocess;
  ourCaPath: string;
  rows(): Array<Record<string, unknown>>;
  /** Waits for the row whose User-Agent is `ua`. */
  rowFor(ua: string): Promise<Record<string, unknown>>;
  db<T>(sql: string): T[];
  logEvents(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** The resident-memory bound after a corpus: generous, it catches unbounded buffering, not bloat. */
export const RSS_BOUND = 250 * 1024 * 1024;

export async function startHostileEnv(opts: { script?: Script; extraToml?: string } = {}): Promise<HostileEnv> {
  const sb = makeSandbox("hm-hostile-");
  const certs = await makeTestCerts(sb.root);
  const fake = startFakeProvider({ cert: certs.cert, key: certs.key, script: opts.script });
  sb.writeConfig(`${configText(sb, certs.caPath, fake.port)}${opts.extraToml ?? ""}`);
  const daemon = sb.spawn([BUN, join(repoRoot, "cmd/halton-meter.ts"), "daemon"]);
  const edge = sb.spawn([BUN, join(repoRoot, "cmd/edge.ts")]);
  await waitFor(() => healthy(sb.ports.api), "daemon /health", 20_000);
  await waitFor(() => canConnect(sb.ports.edge), "edge port");
  const dbPath = join(sb.meterHome, "db.sqlite");
  const db = <T>(sql: string): T[] => {
    if (!existsSync(dbPath)) return [];
    const d = new Database(dbPath, { readonly: true });
    try {
      return d.query(sql).all() as T[];
    } finally {
      d.close();
    }
  };
  const rows = () => db<Record<string, unknown>>("SELECT * FROM requests ORDER BY id");
  return {
    sb,
    fake,
    daemon,
    edge,
    ourCaPath: join(sb.meterHome, "ca.pem"),
    rows,
    rowFor: (ua) => waitFor(() => rows().find((r) => r.user_agent === ua), `the row of ${ua}`),
    db,
    logEvents() {
      const f = join(sb.meterHome, "daemon.log");
      if (!existsSync(f)) return [];
      return readFileSync(f, "utf8")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async stop() {
      fake.stop();
      await sb.cleanup();
    },
  };
}

/** VmHWM: the largest resident size the process ever had, so "bounded throughout", not just now. */
export const peakRssBytes = (pid: number): number | null => procStatusBytes(pid, "VmHWM");

export interface Vitals {
  daemonAlive: boolean;
  edgeAlive: boolean;
  health: boolean;
  daemonRss: number | null;
  edgeRss: number | null;
  daemonPeak: number | null;
  edgePeak: number | null;
}

/** Both processes still running, /health good, and their memory now and at its peak. */
export async function vitals(env: HostileEnv): Promise<Vitals> {
  return {
    daemonAlive: env.daemon.exitCode === null && env.daemon.signalCode === null,
    edgeAlive: env.edge.exitCode === null && env.edge.signalCode === null,
    health: await healthy(env.sb.ports.api),
    daemonRss: rssBytes(env.daemon.pid),
    edgeRss: rssBytes(env.edge.pid),
    daemonPeak: peakRssBytes(env.daemon.pid),
    edgePeak: peakRssBytes(env.edge.pid),
  };
}

export const mb = (n: number | null) => (n === null ? "gone" : `${(n / 1024 / 1024).toFixed(1)} MB`);
