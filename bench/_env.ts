// Everything one bench run talks to, on loopback, in a throwaway folder: the fake provider (TLS,
// test CA), the raw echo/bulk targets, a meter home with the daemon and the edge (compiled
// binaries), and the peers a user would otherwise pick: Debian's tinyproxy and mitmdump.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { makeTestCerts, serverCertFiles, type TestCerts } from "../tests/harness/certs.ts";
import { providerProcessArgv } from "../tests/harness/provider-process.ts";
import { BUN, canConnect, freePort, healthy, makeProcs, type Procs, ROOT, until } from "./_procs.ts";

/** The compiled binaries (`make build`); BENCH_DIST points at another build to compare. */
export const DIST = process.env.BENCH_DIST ?? join(ROOT, "dist");
export const DAEMON_BINARY = join(DIST, "halton-meter");
export const EDGE_BINARY = join(DIST, "halton-meter-edge");
export const TINYPROXY = "/usr/bin/tinyproxy";
export const MITMDUMP = "/usr/bin/mitmdump";
/** The provider host the daemon decrypts; its [upstream] resolve points at the fake provider. */
export const METERED_HOST = "api.anthropic.com";

export interface BenchEnv {
  dir: string;
  procs: Procs;
  certs: TestCerts;
  meterHome: string;
  ports: { edge: number; internal: number; api: number };
  provider: number;
  echo: number;
  source: number;
  /** The daemon's CA (what a metered client trusts). */
  meterCa: string;
  daemon?: Subprocess;
  edge?: Subprocess;
  tinyproxy?: { proc: Subprocess; port: number };
  mitmdump?: { proc: Subprocess; port: number; ca: string };
  startDaemon(): Promise<Subprocess>;
  startEdge(): Promise<Subprocess>;
}

export async function makeEnv(dir: string, bulkBytes: number): Promise<BenchEnv> {
  const home = join(dir, "home");
  const meterHome = join(home, ".halton-meter");
  mkdirSync(meterHome, { recursive: true, mode: 0o700 });
  const baseEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, HALTON_METER_HOME: meterHome, NO_COLOR: "1", LANG: "C.UTF-8" };
  const procs = makeProcs(dir, baseEnv);
  const certs = await makeTestCerts(dir);
  const [provider, servers] = await Promise.all([
    procs.spawnJson<{ port: number }>("provider", providerProcessArgv(serverCertFiles(dir).cert, serverCertFiles(dir).key)),
    procs.spawnJson<{ echo: number; source: number }>("servers", [BUN, join(import.meta.dir, "_servers.ts"), String(bulkBytes)]),
  ]);
  const ports = { edge: freePort(), internal: freePort(), api: freePort() };
  writeFileSync(
    join(meterHome, "config.toml"),
    `[daemon]\nedge_port = ${ports.edge}\ninternal_port = ${ports.internal}\napi_port = ${ports.api}\n\n` +
      `[upstream]\nca_file = "${certs.caPath}"\n[upstream.resolve]\n"${METERED_HOST}" = "127.0.0.1:${provider.info.port}"\n`,
  );
  const env: BenchEnv = {
    dir,
    procs,
    certs,
    meterHome,
    ports,
    provider: provider.info.port,
    echo: servers.info.echo,
    source: servers.info.source,
    meterCa: "",
    async startDaemon() {
      const p = procs.spawn("daemon", [DAEMON_BINARY, "daemon"]);
      await until(() => healthy(ports.api), "the daemon's /health");
      env.meterCa = readFileSync(join(meterHome, "ca.pem"), "utf8");
      env.daemon = p;
      return p;
    },
    async startEdge() {
      const p = procs.spawn("edge", [EDGE_BINARY]);
      await until(() => canConnect(ports.edge), "the edge to listen");
      env.edge = p;
      return p;
    },
  };
  return env;
}

async function listening(port: number, proc: Subprocess, what: string): Promise<void> {
  await until(async () => {
    if (proc.exitCode !== null) throw new Error(`${what} exited (${proc.exitCode}) before listening`);
    return canConnect(port);
  }, `${what} to listen`);
}

/** Debian's tinyproxy, allowed to CONNECT to the raw targets only. */
export async function startTinyproxy(env: BenchEnv): Promise<void> {
  if (!existsSync(TINYPROXY)) return;
  const port = freePort();
  const conf = join(env.dir, "tinyproxy.conf");
  const lines = [`Port ${port}`, "Listen 127.0.0.1", "Timeout 600", "MaxClients 256", "Allow 127.0.0.1", `ConnectPort ${env.echo}`, `ConnectPort ${env.source}`, "LogLevel Critical", "DisableViaHeader Yes", ""];
  writeFileSync(conf, lines.join("\n"));
  const proc = env.procs.spawn("tinyproxy", [TINYPROXY, "-d", "-c", conf]);
  await listening(port, proc, "tinyproxy");
  env.tinyproxy = { proc, port };
}

/**
 * Debian's mitmdump as a user would run it for this job: quiet (no per-flow printing, which
 * would only slow it down), verifying the upstream against the test CA, streaming bodies
 * (`stream_large_bodies=1`: otherwise it holds a whole SSE stream back).
 */
export async function startMitmdump(env: BenchEnv): Promise<void> {
  if (!existsSync(MITMDUMP)) return;
  const port = freePort();
  const confdir = join(env.dir, "mitmproxy");
  mkdirSync(confdir, { recursive: true });
  const argv = [MITMDUMP, "-q", "--listen-host", "127.0.0.1", "--listen-port", String(port), "--set", `confdir=${confdir}`, "--set", `ssl_verify_upstream_trusted_ca=${env.certs.caPath}`, "--set", "stream_large_bodies=1"];
  const proc = env.procs.spawn("mitmdump", argv);
  await listening(port, proc, "mitmdump");
  env.mitmdump = { proc, port, ca: readFileSync(join(confdir, "mitmproxy-ca-cert.pem"), "utf8") };
}
