#!/usr/bin/env bun
// halton-meter-edge: the always-on, user-facing proxy port. Small on purpose: config, ports,
// a JSON-lines log and the proxy core; no CLI framework, no TLS, no database.

import { lstatSync } from "node:fs";
import { homedir } from "node:os";
import { type ConfigResult, defaultConfig, formatConfigError, loadConfig } from "../core/config/index.ts";
import { Dialer } from "../core/proxy/dialer.ts";
import { followPorts } from "../core/edge/follow.ts";
import { startEdge } from "../core/edge/server.ts";
import { interceptedHosts } from "../core/intercept.ts";
import { installCrashGuard } from "../core/log/crash-guard.ts";
import { createJsonlLog } from "../core/log/jsonl.ts";
import { meterHome, statePaths } from "../core/paths.ts";
import { edgeStartPorts, readEdgeRecord, readEffectivePorts, writeEdgeRecord } from "../core/ports/index.ts";
import { allRcFiles, repointRcBlock } from "../core/service/rc-block.ts";
import { VERSION, versionLine } from "../core/version.ts";

const argv = process.argv.slice(2);
if (argv.includes("--version") || argv.includes("-v")) {
  console.log(versionLine("halton-meter-edge"));
  process.exit(0);
}
if (argv.length > 0) {
  console.error(argv.includes("--help") ? "usage: halton-meter-edge (configured by ~/.halton-meter/config.toml and effective-ports.json)" : `halton-meter-edge: unknown argument ${argv[0]}`);
  process.exit(argv.includes("--help") ? 0 : 2);
}

const paths = statePaths(meterHome());
const loaded = loadConfig(paths.config);
// The edge needs no valid config to tunnel: refusing one would refuse every tool pointed at it
// (after a crash, a reboot, an upgrade). It runs on the defaults, on the recorded ports, and says
// so once; the daemon still refuses the file, and `doctor`/`status` show its line and key.
const config = loaded.ok ? loaded.config : defaultConfig();
const log = createJsonlLog({ file: paths.edgeLog, maxBytes: config.log.max_bytes, keep: config.log.keep });
installCrashGuard(log, "edge");
for (const w of loaded.ok ? loaded.warnings : []) log.event("edge.config.warning", { warning: w }, "warn");
let configFault: string | null = null;
/** The pinned edge port of a valid config (null: unpinned or broken); a new fault is logged once. */
function pinnedEdgeOf(result: ConfigResult): number | null {
  if (result.ok) {
    configFault = null;
    return result.config.daemon.edge_port ?? null;
  }
  const said = formatConfigError(result.error);
  if (said !== configFault) {
    configFault = said;
    const { file, key, line, message } = result.error;
    log.event("edge.config.invalid", { file, key, line: line ?? null, message, reason: said, using: "defaults; the port stays as it is" }, "error");
  }
  return null;
}
pinnedEdgeOf(loaded);
if (!loaded.ok) console.error(`halton-meter-edge: ${formatConfigError(loaded.error)}: tunnelling on the defaults meanwhile`);

const last = readEdgeRecord(paths.home);
const chosen = edgeStartPorts(paths.effectivePorts, loaded.ok ? config : null, last?.port ?? null);
if (!chosen.ok) {
  log.event("edge.exit", { reason: chosen.message }, "error");
  console.error(`halton-meter-edge: ${chosen.message}`);
  process.exit(1);
}

let edge: ReturnType<typeof startEdge>;
try {
  edge = startEdge({
    ports: chosen.ports,
    intercepted: interceptedHosts(config.capture.extra_hosts),
    healthyTtlMs: config.daemon.edge_health_ttl_ms,
    probeTimeoutMs: config.edge.probe_timeout_ms,
    headTimeoutMs: config.edge.head_timeout_ms,
    chainTimeoutMs: config.edge.chain_timeout_ms,
    maxConnections: config.edge.max_connections,
    dialer: new Dialer({ resolve: config.upstream.resolve, proxy: config.upstream.proxy, connectTimeoutMs: config.edge.connect_timeout_ms }),
    log,
  });
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === "EADDRINUSE" ? `port ${chosen.ports.edge} on 127.0.0.1 is taken by another process` : (err as Error).message;
  log.event("edge.exit", { reason, port: chosen.ports.edge }, "error");
  console.error(`halton-meter-edge: ${reason}`);
  process.exit(1);
}

/**
 * Records the port held (the daemon counts it as ours and records it) and, when it differs from
 * the one shells were pointed at, points the rc block at it.
 */
function holding(from: number | null): void {
  try {
    writeEdgeRecord(paths.home, { pid: process.pid, port: edge.port });
    if (from === null || from === edge.port) return;
    const files = repointRcBlock(allRcFiles(process.env.HOME || homedir()), from, edge.port, paths.trustBundle);
    if (files.length) log.event("edge.rc.repointed", { from, to: edge.port, files });
  } catch (err) {
    // Bookkeeping only: the port is served either way.
    log.event("edge.error", { kind: "record", port: edge.port, reason: (err as Error).message }, "error");
  }
}
holding(last?.port ?? null);

let current = { edge: chosen.ports.edge, internal: chosen.ports.internal, api: chosen.ports.api };
function reloadPorts(trigger: string): void {
  const recorded = readEffectivePorts(paths.effectivePorts);
  const pinnedEdge = pinnedEdgeOf(loadConfig(paths.config));
  const ports = followPorts({ listening: edge.port, current, recorded: recorded.ok ? recorded.ports : null, pinnedEdge });
  if (JSON.stringify(ports) === JSON.stringify(current)) {
    // Each change of the file is answered in the log, so "why did the edge not move?" has one.
    if (trigger !== "startup") log.event("edge.ports.kept", { trigger, listening: edge.port, recorded_edge: recorded.ok ? recorded.ports.edge : null, ...(!recorded.ok && { reason: recorded.message }) });
    return;
  }
  const from = edge.port;
  edge.reload(ports);
  // A refused rebind (logged by the edge) keeps everything as it was; the next change retries.
  if (edge.port !== ports.edge) return;
  current = ports;
  if (edge.port !== from) holding(from);
  log.event("edge.ports.reloaded", { trigger, ...ports, listening: edge.port });
}
process.on("SIGHUP", () => reloadPorts("sighup"));
// effective-ports.json is replaced by rename, and the daemon's log and database live in the same
// folder: a folder watcher woke the edge on every line the daemon wrote (several times per
// metered request). One lstat a second sees a rename (new inode) or a rewrite, and nothing else.
const portsStamp = () => {
  try {
    const st = lstatSync(paths.effectivePorts);
    return `${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch {
    return "absent";
  }
};
let seenStamp = portsStamp();
setInterval(() => {
  const stamp = portsStamp();
  if (stamp === seenStamp) return;
  seenStamp = stamp;
  reloadPorts("file");
}, 1000).unref();

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.event("edge.stopping", { signal, open_connections: edge.active });
  await edge.stop(config.edge.shutdown_grace_ms);
  log.event("edge.exit", { signal });
  log.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
// Ready means ready: handlers and the ports poll exist, and a change made meanwhile is picked up.
reloadPorts("startup");
log.event("edge.startup.ready", { port: edge.port, daemon_port: current.internal, api_port: current.api, version: VERSION });
