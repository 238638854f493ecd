// The daemon's internal port: one dialer for the outside, the pool of provider connections on
// it, and the MITM server that meters each exchange into the capture writer. Every option of
// the dialer, the pool and the server is set here and nowhere else.

import type { Attributor } from "../attribution/lookup.ts";
import { rowFor } from "../capture/row.ts";
import type { Config } from "../config/index.ts";
import { interceptedHosts } from "../intercept.ts";
import type { EventLog } from "../log/jsonl.ts";
import { selfTestRow } from "../mitm/self-test.ts";
import { type MitmServer, startMitmServer } from "../mitm/server.ts";
import { UpstreamPool } from "../mitm/upstream.ts";
import { createObserver } from "../providers/index.ts";
import { Dialer } from "../proxy/dialer.ts";
import { TlsDialer } from "../proxy/tls-dialer.ts";
import type { CaptureWriter } from "../store/index.ts";
import type { LeafIssuer } from "../tls/index.ts";
import { DaemonStartError } from "./errors.ts";

export interface InterceptDeps {
  port: number;
  config: Config;
  /** config.toml, named in the hint when `[upstream] ca_file` cannot be read. */
  configFile: string;
  issuer: LeafIssuer;
  writer: CaptureWriter;
  /** The store's account salt (core/store/limits.ts), read once at start-up. */
  accountSalt: string;
  attributor: Attributor;
  /** Our own ports: a CONNECT to one of them is refused (a loop through the meter). */
  ownPorts: () => ReadonlySet<number>;
  /** The calling process can be found (Linux /proc): bypasses are keyed by its pid. */
  pidsKnown: boolean;
  log: EventLog;
  now: () => number;
}

export interface Interception {
  mitm: MitmServer;
  pool: UpstreamPool;
}

/**
 * One dialer for the raw tunnels and, under the TLS one, the pool's connections: resolve, proxy,
 * verification. Reads `[upstream] ca_file` now: an unreadable one stops the daemon at start-up,
 * not at the first request.
 */
function upstreamDialers(config: Config, configFile: string): { dialer: Dialer; tls: TlsDialer } {
  const { resolve, ca_file, proxy, connect_timeout_ms } = config.upstream;
  const dialer = new Dialer({ resolve, proxy, connectTimeoutMs: connect_timeout_ms });
  try {
    return { dialer, tls: new TlsDialer(dialer, ca_file) };
  } catch (err) {
    throw new DaemonStartError("upstream-ca", `[upstream] ca_file cannot be read: ${(err as Error).message}`, `fix ${configFile}`);
  }
}

/** Binds the internal port; a bind failure is thrown as it comes (the caller names the port). */
export function startInterception(deps: InterceptDeps): Interception {
  const { config, log, writer } = deps;
  const { dialer, tls } = upstreamDialers(config, deps.configFile);
  const pool = new UpstreamPool(tls);
  const mitm = startMitmServer({
    port: deps.port,
    intercepted: interceptedHosts(config.capture.extra_hosts),
    ownPorts: deps.ownPorts,
    issuer: deps.issuer,
    pool,
    log,
    now: deps.now,
    headTimeoutMs: config.daemon.head_timeout_ms,
    idleTimeoutMs: config.daemon.idle_timeout_ms,
    maxConnections: config.daemon.max_connections,
    dialer,
    identify: (client) => deps.attributor.lookup(client),
    pidsKnown: deps.pidsKnown,
    session: (_client, who) => ({
      observe: (head) => createObserver(head),
      bodyMaxBytes: config.capture.body_max_bytes,
      ready: who.pid,
      hooks: who.identity.then(({ pid, attribution }) => {
        // A .haltonrc's body_capture line (on or off) beats [capture] body_capture.
        const bodies = attribution.bodyCapture ?? config.capture.body_capture;
        log.event("attribution.resolved", { client_pid: pid, project: attribution.project, tier: attribution.source, body_capture: bodies });
        return {
          onExchange: (rec) => writer.enqueue(rec.selfTest ? selfTestRow(rec) : rowFor(rec, { pid, attribution, overrides: config.pricing.overrides, accountSalt: deps.accountSalt })),
          bodyCapture: bodies ? { maxBytes: config.capture.body_max_bytes } : null,
        };
      }),
    }),
  });
  return { mitm, pool };
}
