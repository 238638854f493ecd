// The meter for a real CLI: the daemon and the edge from source, with fakes of our own (servers
// that need the test certificates, so they start between the sandbox and the daemon) behind the
// provider hosts through [upstream] resolve; and the environment `halton-meter run` gives a
// command, built by the same core functions run.ts uses.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { statePaths } from "../../core/paths.ts";
import { rcEnv } from "../../core/service/rc-block.ts";
import { envBlock, writeTrustBundle } from "../../core/tls/bundle.ts";
import type { TestCerts } from "../harness/certs.ts";
import { readLog } from "../harness/edge-process.ts";
import { type MeterEnv, startMeter } from "../harness/meter.ts";

export interface CliMeter {
  env: MeterEnv;
  /** What `halton-meter run -- CMD` adds to CMD's environment (the edge as proxy, the trust env). */
  runEnv: Record<string, string>;
  /** A fresh folder under the sandbox (a CLI's home or working directory). */
  dir(name: string): string;
  /** Hosts the edge tunnelled raw, and hosts it chained to the daemon, from its log. */
  edgeHosts(): { passthrough: string[]; chained: string[] };
  stop(): Promise<void>;
}

/** `fakes(certs)` starts the fakes and says which host each answers on (host -> port). */
export async function startCliMeter(prefix: string, fakes: (certs: TestCerts) => Promise<{ resolve: Record<string, number>; stop(): void }>): Promise<CliMeter> {
  const env = await startMeter({ prefix, fake: false, daemon: false, edge: false });
  let started: { stop(): void } | null = null;
  try {
    const f = await fakes(env.certs);
    started = f;
    env.writeConfig({ resolve: f.resolve });
    await Promise.all([env.startDaemon(), env.startEdge()]);
  } catch (err) {
    started?.stop();
    await env.stop();
    throw err;
  }
  // `init` and `setup` write the trust bundle; run.ts points SSL_CERT_FILE and friends at it.
  const paths = statePaths(env.sb.meterHome);
  writeTrustBundle(paths.trustBundle, { caPem: env.ourCaPem });
  const runEnv = rcEnv(env.sb.ports.edge, envBlock({ bundlePath: paths.trustBundle, caPath: paths.caCert }));
  const hosts = (event: string) => [...new Set(readLog(paths.edgeLog).filter((l) => l.event === event).map((l) => String(l.host)))].sort();
  return {
    env,
    runEnv,
    dir(name) {
      const d = join(env.sb.root, name);
      mkdirSync(d, { recursive: true });
      return d;
    },
    edgeHosts: () => ({ passthrough: hosts("edge.passthrough"), chained: hosts("edge.chained") }),
    async stop() {
      started?.stop();
      await env.stop();
    },
  };
}
