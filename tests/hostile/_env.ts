// One sandbox for a hostile corpus: a scriptable fake provider, the daemon and the edge as real
// processes (from source), with extra config (a short head timeout, a small connection limit,
// body capture). Plus what every corpus ends with: both still serve, and stayed small.

import { procStatusBytes, rssBytes } from "../harness/edge-process.ts";
import type { Script } from "../harness/fake-provider.ts";
import { healthy, type MeterEnv, type Row, startMeter } from "../harness/meter.ts";

export interface HostileEnv extends MeterEnv {
  /** Waits for the row whose User-Agent is `ua`. */
  rowFor(ua: string): Promise<Row>;
}

/** The resident-memory bound after a corpus: generous, it catches unbounded buffering, not bloat. */
export const RSS_BOUND = 250 * 1024 * 1024;

export async function startHostileEnv(opts: { script?: Script; extraToml?: string } = {}): Promise<HostileEnv> {
  const env = await startMeter({ prefix: "hm-hostile-", fake: { script: opts.script }, toml: opts.extraToml });
  return Object.assign(env, { rowFor: (ua: string) => env.waitRow((r) => r.user_agent === ua, `the row of ${ua}`) });
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
