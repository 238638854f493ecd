// The metering daemon, wired: its ports, CA and leaf issuer, the store and its writer, the
// attribution threads, the MITM server on the internal port, the loopback API, store maintenance
// and, in full mode, the system proxy. `halton-meter daemon` reads its context, calls this and
// turns signals into `stop`; tests start it in-process the same way. Nothing here exits the
// process or listens for signals.

import { type Queries, workerQueries } from "../api/queries.ts";
import { type Attributor, createAttributor, spawnLookupWorker } from "../attribution/lookup.ts";
import type { Notifier } from "../budgets/notify.ts";
import { budgetsSet } from "../budgets/state.ts";
import { type BudgetWatch, watchBudgets } from "../budgets/watch.ts";
import type { Config } from "../config/index.ts";
import type { EventLog } from "../log/jsonl.ts";
import type { MitmServer } from "../mitm/server.ts";
import type { UpstreamPool } from "../mitm/upstream.ts";
import type { StatePaths } from "../paths.ts";
import type { Ports } from "../ports/index.ts";
import { type DaemonProxyDeps, proxyOffAtExit, proxyOnAtStartup } from "../service/daemon-proxy.ts";
import { readSentinels } from "../service/sentinels.ts";
import type { SystemProxy } from "../service/supervisor.ts";
import { accountSalt, type CaptureWriter, createCaptureWriter, maintain, type Store, thinLimitSamples } from "../store/index.ts";
import type { Ca } from "../tls/index.ts";
import { VERSION } from "../version.ts";
import { type ApiServer, serveApi } from "./_api.ts";
import { startInterception } from "./_intercept.ts";
import { choosePorts, loadTls, openCaptureStore } from "./_prepare.ts";
import { DaemonStartError } from "./errors.ts";

export { DaemonStartError, type DaemonStartFailure } from "./errors.ts";

export interface DaemonDeps {
  /** HALTON_METER_HOME's files: ports, CA, database, sentinels. */
  paths: StatePaths;
  /** The validated config.toml. */
  config: Config;
  /** The daemon's event log; the caller closes it after `stop`. */
  log: EventLog;
  /** The system proxy `full` mode points at the edge while the daemon runs; null where there is none (Linux). */
  systemProxy: SystemProxy | null;
  /** The calling process can be found in /proc: attribution threads, bypasses keyed by pid. Default: on Linux. */
  procfs?: boolean;
  /** Start time, uptime, bypass expiry and the drain's deadline. Default: Date.now. */
  now?: () => number;
  /** The pid /health reports. Default: this process's. */
  pid?: number;
  /** Desktop notifications of budget alerts (the platform's); none by default. */
  notifier?: Notifier | null;
  /** How often the store is kept up (WAL checkpoint, limit samples thinned). Default 30 s. */
  maintainEveryMs?: number;
}

export interface Daemon {
  /** The tuple in use: the internal (MITM) and API ports bound here, and the edge's, counted as ours. */
  readonly ports: Ports;
  /** Connections still carrying an exchange or a tunnel. */
  readonly active: number;
  /**
   * Stops accepting, lets open exchanges finish for up to `graceMs`, closes every connection,
   * thread and port, turns the system proxy off (full mode), commits the queued rows and closes
   * the store. Once: a second call returns the first one's promise. `signal` is logged.
   */
  stop(graceMs: number, signal?: string): Promise<void>;
}

const MAINTAIN_EVERY_MS = 30_000;
/** Each system-proxy step gives up after this long; launchd's SIGKILL comes 30 s after its SIGTERM. */
const PROXY_BUDGET_MS = 10_000;
const DRAIN_POLL_MS = 50;
const STATUS_HINT = "run `halton-meter status` to see the ports in use";

/** Everything start-up opens, in the order it opens them. */
interface Parts {
  ports: Ports;
  ca: Ca;
  store: Store;
  writer: CaptureWriter;
  attributor: Attributor;
  queries: Queries;
  mitm: MitmServer;
  pool: UpstreamPool;
  api: ApiServer;
  /** Told after each committed batch (the budget watch listens). */
  committed: { listen: () => void };
}

/** Starts the daemon; a failure a person can fix is a DaemonStartError, thrown once whatever had opened is closed. */
export function startDaemon(deps: DaemonDeps): Daemon {
  const { paths, log } = deps;
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const { ports, ca, store, writer, attributor, queries, mitm, pool, api, committed } = openParts(deps, now, startedAt);
  const budgets = deps.config.budgets;
  const budgetWatch: BudgetWatch | null = budgetsSet(budgets)
    ? watchBudgets({ check: () => queries.budgetAlerts(budgets, now()), notifier: budgets.notify ? (deps.notifier ?? null) : null, log, file: paths.budgetAlerts })
    : null;
  committed.listen = () => budgetWatch?.poke();

  const maintenance = setInterval(() => {
    try {
      maintain(store);
    } catch (err) {
      log.event("store.maintain_failed", { reason: (err as Error).message }, "warn");
    }
    try {
      thinLimitSamples(store, now());
    } catch (err) {
      log.event("store.maintain_failed", { step: "thin limit samples", reason: (err as Error).message }, "warn");
    }
  }, deps.maintainEveryMs ?? MAINTAIN_EVERY_MS);
  // Full mode on macOS: the system proxy points at us while this daemon runs (seed 003).
  const proxyDuty: DaemonProxyDeps = { proxy: deps.systemProxy, sentinels: () => readSentinels(paths), log, budgetMs: PROXY_BUDGET_MS };
  const proxyOn = proxyOnAtStartup(proxyDuty, ports.edge);
  log.event("daemon.startup.ready", { version: VERSION, internal_port: ports.internal, api_port: ports.api, ms: now() - startedAt, ca: ca.fingerprint256 });

  async function drainAndClose(graceMs: number, signal: string): Promise<void> {
    log.event("daemon.stopping", { signal, open_connections: mitm.active });
    const proxyOff = proxyOffAtExit(proxyDuty, signal, proxyOn);
    try {
      mitm.stopAccepting();
      // The server counts its connections but announces no "last one closed": poll the count.
      const deadline = now() + graceMs;
      while (mitm.active > 0 && now() < deadline) await Bun.sleep(DRAIN_POLL_MS);
      mitm.closeAll();
      pool.closeAll();
      attributor.close();
      void api.stop(true);
      queries.close();
    } catch (err) {
      log.event("daemon.stop_error", { reason: (err as Error).message }, "error");
    } finally {
      clearInterval(maintenance);
      budgetWatch?.stop();
      await proxyOff;
      const flushed = writer.close();
      closeQuietly(store, log);
      log.event("daemon.exit", { signal, rows_committed: writer.stats().committed, rows_pending: flushed.pending });
    }
  }

  let stopping: Promise<void> | null = null;
  return {
    ports,
    get active() {
      return mitm.active;
    },
    stop: (graceMs, signal = "stop") => (stopping ??= drainAndClose(graceMs, signal)),
  };
}

function openParts(deps: DaemonDeps, now: () => number, startedAt: number): Parts {
  const { paths, config, log } = deps;
  const procfs = deps.procfs ?? process.platform === "linux";
  // What has opened so far, closed again (last first) when a later step fails.
  const opened: Array<() => void> = [];
  try {
    const ports = choosePorts(paths, config);
    const { ca, issuer } = loadTls(paths, config);
    const store = openCaptureStore(paths);
    opened.push(() => store.close());
    const committed = { listen: () => {} };
    const writer = createCaptureWriter(store, {
      maxQueue: config.capture.queue_max_rows,
      onCommit: () => committed.listen(),
      onError: (e) => log.event("capture.store_error", { code: e.code, reason: e.message, rows_queued: writer.stats().queued, rows_dropped: writer.stats().dropped }, "error"),
    });
    opened.push(() => writer.close());
    // The calling process and its project, found once per connection in a worker thread with a
    // deadline: /proc and the caller's folders may be slow, and this loop relays every stream.
    const attributor = createAttributor({
      timeoutMs: config.daemon.attribution_timeout_ms,
      defaultProject: config.tagging.default_project,
      log,
      now,
      spawn: procfs ? spawnLookupWorker : null,
    });
    opened.push(() => attributor.close());
    const queries = workerQueries(paths.db);
    opened.push(() => queries.close());
    const own: ReadonlySet<number> = new Set([ports.edge, ports.internal, ports.api]);
    const ownPorts = () => own;
    const { mitm, pool } = binding(ports, () =>
      startInterception({ port: ports.internal, config, configFile: paths.config, issuer, writer, accountSalt: accountSalt(store), attributor, ownPorts, pidsKnown: procfs, log, now }),
    );
    opened.push(() => {
      mitm.closeAll();
      pool.closeAll();
    });
    const api = binding(ports, () => serveApi({ port: ports.api, pid: deps.pid ?? process.pid, startedAt, now, queries, mitm, writer, log, budgets: config.budgets }));
    return { ports, ca, store, writer, attributor, queries, mitm, pool, api, committed };
  } catch (err) {
    if (err instanceof DaemonStartError) log.event("daemon.exit", { reason: err.message }, "error");
    for (const close of opened.reverse()) {
      try {
        close();
      } catch {
        // Start-up failed already; that failure is the one to report.
      }
    }
    throw err;
  }
}

/** Runs a step that binds a port: any failure of it stops the start, named as a taken port where it is one. */
function binding<T>(ports: Ports, bind: () => T): T {
  try {
    return bind();
  } catch (err) {
    if (err instanceof DaemonStartError) throw err;
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new DaemonStartError("port-taken", `a daemon port (${ports.internal} or ${ports.api}) on 127.0.0.1 is taken by another process`, STATUS_HINT);
    }
    throw new DaemonStartError("listen", (err as Error).message, STATUS_HINT);
  }
}

function closeQuietly(store: Store, log: EventLog): void {
  try {
    store.close();
  } catch (err) {
    log.event("daemon.stop_error", { reason: (err as Error).message }, "error");
  }
}
