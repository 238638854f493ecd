#!/usr/bin/env bun
// halton-meter-edge: the always-on, user-facing proxy port. Small on purpose: config, ports,
// a JSON-lines log and the proxy core; no CLI framework, no TLS, no database.

import { lstatSync } from "node:fs";
import { formatConfigError, loadConfig } from "../core/config/index.ts";
import { httpProxyConnector } from "../core/proxy/connect.ts";
import { startEdge } from "../core/edge/server.ts";
import { interceptedHosts } from "../core/intercept.ts";
import { installCrashGuard } from "../core/log/crash-guard.ts";
import { createJsonlLog } from "../core/log/jsonl.ts";
import { meterHome, statePaths } from "../core/paths.ts";
import { daemonPortsHeld, readEffectivePorts, resolvePorts } from "../core/ports/index.ts";
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
if (!loaded.ok) {
  console.error(`halton-meter-edge: ${formatConfigError(loaded.error)}`);
  process.exit(1);
}
const config = loaded.config;
const log = createJsonlLog({ file: paths.edgeLog, maxBytes: config.log.max_bytes, keep: config.log.keep });
installCrashGuard(log, "edge");
for (const w of loaded.warnings) log.event("edge.config.warning", { warning: w }, "warn");

const chosen = resolvePorts(paths.effectivePorts, config, daemonPortsHeld(paths.effectivePorts, config));
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
    connectTimeoutMs: config.edge.connect_timeout_ms,
    maxConnections: config.edge.max_connections,
    connect: config.upstream.proxy ? httpProxyConnector(config.upstream.proxy) : undefined,
    // Through a corporate proxy the proxy resolves names; `[upstream] resolve` applies to direct dials.
    resolve: config.upstream.proxy ? {} : config.upstream.resolve,
    log,
  });
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === "EADDRINUSE" ? `port ${chosen.ports.edge} on 127.0.0.1 is taken by another process` : (err as Error).message;
  log.event("edge.exit", { reason, port: chosen.ports.edge }, "error");
  console.error(`halton-meter-edge: ${reason}`);
  process.exit(1);
}
let current = JSON.stringify({ edge: chosen.ports.edge, internal: chosen.ports.internal, api: chosen.ports.api });
function reloadPorts(trigger: string): void {
  const next = readEffectivePorts(paths.effectivePorts);
  if (!next.ok) return;
  const ports = { edge: next.ports.edge, internal: next.ports.internal, api: next.ports.api };
  if (JSON.stringify(ports) === current) return;
  current = JSON.stringify(ports);
  edge.reload(ports);
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
log.event("edge.startup.ready", { port: edge.port, daemon_port: chosen.ports.internal, api_port: chosen.ports.api, version: VERSION });
