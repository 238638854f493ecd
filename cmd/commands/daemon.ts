import { defineCommand } from "citty";
import { createApi } from "../../core/api/app.ts";
import { QUERY_TIMEOUT_MS, workerQueries } from "../../core/api/queries.ts";
import { createAttributor, spawnLookupWorker } from "../../core/attribution/lookup.ts";
import { rowFor } from "../../core/capture/row.ts";
import { interceptedHosts } from "../../core/intercept.ts";
import { installCrashGuard } from "../../core/log/crash-guard.ts";
import { createJsonlLog } from "../../core/log/jsonl.ts";
import { selfTestRow } from "../../core/mitm/self-test.ts";
import { startMitmServer } from "../../core/mitm/server.ts";
import { UpstreamPool } from "../../core/mitm/upstream.ts";
import { resolvePorts, runningEdgePort } from "../../core/ports/index.ts";
import { createObserver } from "../../core/providers/index.ts";
import { proxyOffAtExit, proxyOnAtStartup } from "../../core/service/daemon-proxy.ts";
import { processRunner } from "../../core/service/runner.ts";
import { readSentinels } from "../../core/service/sentinels.ts";
import { createCaptureWriter, maintain, openStore, StoreError } from "../../core/store/index.ts";
import { createLeafIssuer, loadOrCreateCa, loadOrCreateLeafKeys, TlsError } from "../../core/tls/index.ts";
import { VERSION } from "../../core/version.ts";
import { cliContext } from "../_context.ts";
import { UserError } from "../_errors.ts";
import { systemProxyFor } from "../_platform.ts";

export default defineCommand({
  meta: { name: "daemon", description: "Run the metering daemon in the foreground (the supervisor starts it)", hidden: true },
  async run() {
    const { paths, config, term } = cliContext();
    const startedAt = Date.now();
    const log = createJsonlLog({ file: paths.daemonLog, maxBytes: config.log.max_bytes, keep: config.log.keep });
    installCrashGuard(log, "daemon");
    const fatal = (message: string, hint?: string): never => {
      log.event("daemon.exit", { reason: message }, "error");
      throw new UserError(message, hint);
    };

    // The port our running edge holds is ours and is where shells point: a corrupt, deleted or
    // rewritten effective-ports.json is put right to it, never re-chosen around it.
    const chosen = resolvePorts(paths.effectivePorts, config, new Set(), runningEdgePort(paths.home));
    if (!chosen.ok) fatal(chosen.message);
    const ports = chosen.ok ? chosen.ports : { edge: 0, internal: 0, api: 0 };

    let ca: ReturnType<typeof loadOrCreateCa>;
    let leafKeys: ReturnType<typeof loadOrCreateLeafKeys>["keys"];
    try {
      ca = loadOrCreateCa(paths.home, { permittedDomains: config.tls.intercept_domains });
      leafKeys = loadOrCreateLeafKeys(paths.leafKey).keys;
    } catch (err) {
      if (err instanceof TlsError) fatal(err.message, err.hint);
      throw err;
    }
    const issuer = createLeafIssuer(ca, { cacheSize: config.tls.leaf_cache_size, keys: leafKeys });

    let store: ReturnType<typeof openStore>;
    try {
      store = openStore(paths.db);
    } catch (err) {
      if (err instanceof StoreError) fatal(err.message, err.hint ?? `run \`halton-meter doctor\`; move ${paths.db} aside to start a fresh one (it is never deleted)`);
      throw err;
    }
    const writer = createCaptureWriter(store, { maxQueue: config.capture.queue_max_rows, onError: (e) => log.event("capture.store_error", { code: e.code, reason: e.message, rows_queued: writer.stats().queued, rows_dropped: writer.stats().dropped }, "error") });

    let pool: UpstreamPool;
    try {
      pool = new UpstreamPool({ resolve: config.upstream.resolve, caFile: config.upstream.ca_file, proxy: config.upstream.proxy, connectTimeoutMs: config.upstream.connect_timeout_ms });
    } catch (err) {
      return fatal(`[upstream] ca_file cannot be read: ${(err as Error).message}`, `fix ${paths.config}`);
    }

    // The calling process and its project, found once per connection in a worker thread with a
    // deadline: /proc and the caller's folders may be slow, and this loop relays every stream.
    const attributor = createAttributor({
      timeoutMs: config.daemon.attribution_timeout_ms,
      defaultProject: config.tagging.default_project,
      log,
      spawn: process.platform === "linux" ? spawnLookupWorker : null,
    });
    const ownPorts = () => new Set([ports.edge, ports.internal, ports.api]);
    const queries = workerQueries(paths.db);
    let mitm: ReturnType<typeof startMitmServer>;
    let api: ReturnType<typeof Bun.serve>;
    try {
      mitm = startMitmServer({
        port: ports.internal,
        intercepted: interceptedHosts(config.capture.extra_hosts),
        ownPorts,
        issuer,
        pool,
        log,
        connectTimeoutMs: config.upstream.connect_timeout_ms,
        headTimeoutMs: config.daemon.head_timeout_ms,
        idleTimeoutMs: config.daemon.idle_timeout_ms,
        maxConnections: config.daemon.max_connections,
        resolve: config.upstream.resolve,
        upstreamProxy: config.upstream.proxy || undefined,
        identify: (client) => attributor.lookup(client),
        pidsKnown: process.platform === "linux",
        session: (_client, who) => ({
          observe: (head) => createObserver(head),
          bodyMaxBytes: config.capture.body_max_bytes,
          ready: who.pid,
          hooks: who.identity.then(({ pid, attribution }) => {
            // A .haltonrc's body_capture line (on or off) beats [capture] body_capture.
            const bodies = attribution.bodyCapture ?? config.capture.body_capture;
            log.event("attribution.resolved", { client_pid: pid, project: attribution.project, tier: attribution.source, body_capture: bodies });
            return {
              onExchange: (rec) => writer.enqueue(rec.selfTest ? selfTestRow(rec) : rowFor(rec, { pid, attribution }, config.pricing.overrides)),
              bodyCapture: bodies ? { maxBytes: config.capture.body_max_bytes } : null,
            };
          }),
        }),
      });
      const app = createApi({
        version: VERSION,
        pid: process.pid,
        startedAt,
        port: () => ports.api,
        // Reads run in a worker thread: this loop relays every stream and must not wait on a query.
        queries,
        onError: (err, path) => log.event("api.error", { path, reason: err.message }, "error"),
        tlsBypass: () => mitm.bypasses(),
        capture: () => writer.stats(),
      });
      // Bun.serve cuts a connection that has sent nothing for `idleTimeout` (10 s by default), even
      // while its handler waits on the query worker: allow the worker's whole query budget.
      api = Bun.serve({ hostname: "127.0.0.1", port: ports.api, fetch: app.fetch, idleTimeout: QUERY_TIMEOUT_MS / 1000 + 15 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return fatal(code === "EADDRINUSE" ? `a daemon port (${ports.internal} or ${ports.api}) on 127.0.0.1 is taken by another process` : (err as Error).message, "run `halton-meter status` to see the ports in use");
    }
    const maintenance = setInterval(() => {
      try {
        maintain(store);
      } catch (err) {
        log.event("store.maintain_failed", { reason: (err as Error).message }, "warn");
      }
    }, 30_000);
    // Full mode on macOS: the system proxy points at us while this daemon runs (seed 003).
    const proxyDuty = {
      proxy: systemProxyFor({ home: paths.home, recorded: readSentinels(paths).supervisor, run: (argv, o) => processRunner(argv, { ...o, timeoutMs: 5_000 }) }),
      sentinels: () => readSentinels(paths),
      log,
      budgetMs: 10_000,
    };
    const proxyOn = proxyOnAtStartup(proxyDuty, ports.edge);
    log.event("daemon.startup.ready", { version: VERSION, internal_port: ports.internal, api_port: ports.api, ms: Date.now() - startedAt, ca: ca.fingerprint256 });
    term.info(`halton-meter daemon ${VERSION}: MITM on 127.0.0.1:${ports.internal}, API on 127.0.0.1:${ports.api}`);

    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.event("daemon.stopping", { signal, open_connections: mitm.active });
        const proxyOff = proxyOffAtExit(proxyDuty, signal, proxyOn);
        try {
          mitm.stopAccepting();
          const deadline = Date.now() + config.daemon.shutdown_grace_ms;
          while (mitm.active > 0 && Date.now() < deadline) await Bun.sleep(50);
          mitm.closeAll();
          pool.closeAll();
          attributor.close();
          void api.stop(true);
          queries.close();
        } catch (err) {
          log.event("daemon.stop_error", { reason: (err as Error).message }, "error");
        } finally {
          clearInterval(maintenance);
          await proxyOff;
          const flushed = writer.close();
          log.event("daemon.exit", { signal, rows_committed: writer.stats().committed, rows_pending: flushed.pending });
          log.close();
          resolve();
        }
      };
      process.on("SIGTERM", () => void stop("SIGTERM"));
      process.on("SIGINT", () => void stop("SIGINT"));
    });
    return 0;
  },
});
