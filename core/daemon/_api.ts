// The daemon's loopback API on its port: /health from the live counters, /v1 from the query worker.

import { createApi } from "../api/app.ts";
import type { BudgetsConfig } from "../budgets/evaluate.ts";
import { QUERY_TIMEOUT_MS, type Queries } from "../api/queries.ts";
import type { EventLog } from "../log/jsonl.ts";
import type { MitmServer } from "../mitm/server.ts";
import type { CaptureWriter } from "../store/index.ts";
import { VERSION } from "../version.ts";

export type ApiServer = ReturnType<typeof Bun.serve>;

export interface ApiServeDeps {
  port: number;
  pid: number;
  startedAt: number;
  now: () => number;
  queries: Queries;
  mitm: MitmServer;
  writer: CaptureWriter;
  log: EventLog;
  budgets: BudgetsConfig;
}

/** Binds the API port; a bind failure is thrown as it comes (the caller names the port). */
export function serveApi(deps: ApiServeDeps): ApiServer {
  const app = createApi({
    version: VERSION,
    budgets: deps.budgets,
    pid: deps.pid,
    startedAt: deps.startedAt,
    now: deps.now,
    port: () => deps.port,
    // Reads run in a worker thread: this loop relays every stream and must not wait on a query.
    queries: deps.queries,
    onError: (err, path) => deps.log.event("api.error", { path, reason: err.message }, "error"),
    tlsBypass: () => deps.mitm.bypasses(),
    capture: () => deps.writer.stats(),
  });
  // Bun.serve cuts a connection that has sent nothing for `idleTimeout` (10 s by default), even
  // while its handler waits on the query worker: allow the worker's whole query budget.
  return Bun.serve({ hostname: "127.0.0.1", port: deps.port, fetch: app.fetch, idleTimeout: QUERY_TIMEOUT_MS / 1000 + 15 });
}
