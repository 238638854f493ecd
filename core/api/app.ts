// The loopback API (hono) and the dashboard. Local only: a Host header that is not ours is refused
// (DNS rebinding), so is any other web origin; no CORS headers are ever sent, and every answer
// carries the API version. Errors are JSON with a message, never a stack trace.

import type { BudgetsConfig } from "../budgets/evaluate.ts";
import { defaultConfig } from "../config/index.ts";
import { Hono } from "hono";
import type { Store, WriterStats } from "../store/index.ts";
import { inProcessQueries, type Queries } from "./queries.ts";
import { localOnly } from "./_guard.ts";
import { dashboardRoutes } from "./dashboard.ts";
import { dataRoutes } from "./routes.ts";

export const API_VERSION = "1";

export interface ApiDeps {
  version: string;
  /** `[budgets]` from config.toml; none set by default. */
  budgets?: BudgetsConfig;
  pid: number;
  startedAt: number;
  port: () => number;
  /** The capture database, read on this thread; without it (or `queries`), only /health and the dashboard's files answer. */
  store?: Store;
  /** The reads behind /v1 when they run elsewhere (the daemon's query worker); wins over `store`. */
  queries?: Queries;
  now?: () => number;
  /** Where a failing handler's error goes (the daemon's log); the client sees only "internal error". */
  onError?: (err: Error, path: string) => void;
  /** Client processes tunnelled raw because they refused our certificate (listed by /health). */
  tlsBypass?: () => ReadonlyArray<{ process: string; host: string; until: number; reason: string }>;
  /** The capture writer's counters (listed by /health: doctor tells a full disk and dropped rows from them). */
  capture?: () => WriterStats;
}

export function createApi(deps: ApiDeps): Hono {
  const now = deps.now ?? Date.now;
  const app = new Hono();
  app.use("*", localOnly(deps.port, API_VERSION));
  app.get("/health", (c) => {
    const tls_bypass = (deps.tlsBypass?.() ?? []).map((b) => ({ process: b.process, host: b.host, until: new Date(b.until).toISOString(), reason: b.reason }));
    const w = deps.capture?.();
    const capture = w && { queued: w.queued, committed: w.committed, dropped: w.dropped, failed_flushes: w.failedFlushes, last_error: w.lastError };
    return c.json({ status: "ok", version: deps.version, pid: deps.pid, uptime_s: Math.round((now() - deps.startedAt) / 1000), tls_bypass, ...(capture && { capture }) });
  });
  const queries = deps.queries ?? (deps.store ? inProcessQueries(deps.store) : null);
  if (queries) app.route("/v1", dataRoutes({ queries, now, onError: deps.onError, budgets: deps.budgets ?? defaultConfig().budgets }));
  else app.all("/v1/*", (c) => c.json({ error: "no database", detail: "this process serves no capture database" }, 503));
  app.route("/", dashboardRoutes());
  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((err, c) => {
    deps.onError?.(err, c.req.path);
    return c.json({ error: "internal error", detail: "the request failed inside the daemon; its log has the details" }, 500);
  });
  return app;
}
