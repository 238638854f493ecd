// The reads behind /v1, in two forms with one interface: in process (tests, a process that has
// nothing else to do), and in a worker thread for the daemon. The daemon's event loop also
// relays every stream; a stats query over a large store holds a thread for 100 ms and more, and
// on that loop it would hold every stream and every handshake with it.

import type { Period } from "../report/period.ts";
import { listRequests, requestsAfter, StoreError, type GroupBy, type ListOptions, type RequestFilter, type RequestPage, type RequestRecord, type Store, type StoreErrorCode } from "../store/index.ts";
import { workerModule } from "../worker-module.ts";
import { budgetAlerts, limitsWithAlerts } from "../budgets/state.ts";
import type { BudgetsConfig, Crossing } from "../budgets/evaluate.ts";
import type { LimitsQuery, LimitsReport } from "../limits/report.ts";
import { groupedStats, project, projects, stats } from "./stats.ts";
import type { GroupedStatsResponse, ProjectResponse, ProjectsResponse, StatsResponse } from "./types.ts";

export interface Queries {
  stats(filter: RequestFilter, period: Period): Promise<StatsResponse>;
  groupedStats(filter: RequestFilter, period: Period, by: GroupBy): Promise<GroupedStatsResponse>;
  projects(filter: RequestFilter, period: Period): Promise<ProjectsResponse>;
  project(slug: string, filter: RequestFilter, period: Period): Promise<ProjectResponse | null>;
  listRequests(opts: ListOptions): Promise<RequestPage>;
  requestsAfter(afterId: number, filter: RequestFilter, limit: number): Promise<RequestRecord[]>;
  limits(nowMs: number, q: LimitsQuery, budgets: BudgetsConfig): Promise<LimitsReport>;
  budgetAlerts(budgets: BudgetsConfig, nowMs: number): Promise<Crossing[]>;
  close(): void;
}

type Op = Exclude<keyof Queries, "close">;

/** The functions a query names, run against `store` on the calling thread. */
export function runQuery(store: Store, op: Op, args: unknown[]): unknown {
  const [a, b, c] = args as [never, never, never];
  switch (op) {
    case "stats":
      return stats(store, a, b);
    case "groupedStats":
      return groupedStats(store, a, b, c);
    case "projects":
      return projects(store, a, b);
    case "project":
      return project(store, a, b, c);
    case "listRequests":
      return listRequests(store, a);
    case "requestsAfter":
      return requestsAfter(store, a, b, c);
    case "limits":
      return limitsWithAlerts(store, c, a, b);
    case "budgetAlerts":
      return budgetAlerts(store, a, b);
  }
}

function queriesVia(call: (op: Op, args: unknown[]) => Promise<unknown>, close: () => void): Queries {
  const via =
    <T>(op: Op) =>
    (...args: unknown[]) =>
      call(op, args) as Promise<T>;
  return {
    stats: via("stats"),
    groupedStats: via("groupedStats"),
    projects: via("projects"),
    project: via("project"),
    listRequests: via("listRequests"),
    requestsAfter: via("requestsAfter"),
    limits: via("limits"),
    budgetAlerts: via("budgetAlerts"),
    close,
  };
}

/** Reads on the calling thread. */
export function inProcessQueries(store: Store): Queries {
  return queriesVia(async (op, args) => runQuery(store, op, args), () => {});
}

/** What crosses from the worker: a value, or an error to rebuild on this side. */
export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; store: { code: StoreErrorCode; hint: string | null } | null; message: string };
export type Request = { id: number; dbPath: string; op: Op; args: unknown[] };

const WORKER_MODULE = workerModule("core/api/query-worker.ts", import.meta.url);

/** A worker with no query for this long is ended; the next query starts another (~20 ms). */
const IDLE_MS = 60_000;
/** A query that takes longer fails (500), and its worker is replaced. */
export const QUERY_TIMEOUT_MS = 30_000;

/**
 * Reads in a worker thread with its own read-only connection to `dbPath`. Started on the first
 * query, ended when idle. The worker answers in order, so only the query it is running is timed;
 * a worker that dies or overruns fails the queries it held, and the next query starts a fresh one.
 */
export function workerQueries(dbPath: string, opts: { idleMs?: number; timeoutMs?: number; module?: string } = {}): Queries {
  const idleMs = opts.idleMs ?? IDLE_MS;
  const timeoutMs = opts.timeoutMs ?? QUERY_TIMEOUT_MS;
  let worker: Worker | null = null;
  let closed = false;
  let nextId = 1;
  /** In the order sent, which is the order the worker answers in. */
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let runningTimer: ReturnType<typeof setTimeout> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const stop = (why: string) => {
    clearTimeout(idleTimer);
    clearTimeout(runningTimer);
    const w = worker;
    worker = null;
    w?.terminate();
    const failed = [...pending.values()];
    pending.clear();
    for (const p of failed) p.reject(new Error(why));
  };

  /** The first pending query is the one the worker is running: time it, or wait idle. */
  const timeHead = () => {
    clearTimeout(runningTimer);
    clearTimeout(idleTimer);
    if (pending.size > 0) runningTimer = setTimeout(() => stop(`the query took longer than ${timeoutMs} ms`), timeoutMs);
    else idleTimer = setTimeout(() => pending.size === 0 && stop("idle"), idleMs);
  };

  const start = (): Worker => {
    const w = new Worker(opts.module ?? WORKER_MODULE);
    (w as Worker & { unref(): void }).unref(); // an idle worker never keeps the daemon alive
    w.onmessage = (e: MessageEvent<Reply>) => {
      if (worker !== w) return;
      const r = e.data;
      const p = pending.get(r.id);
      if (!p) return;
      pending.delete(r.id);
      timeHead();
      if (r.ok) p.resolve(r.value);
      else p.reject(r.store ? new StoreError(r.store.code, r.message, r.store.hint ? { hint: r.store.hint } : {}) : new Error(r.message));
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      if (worker === w) stop(`the query worker failed: ${e.message}`);
    };
    w.addEventListener("close", () => {
      if (worker === w) stop("the query worker exited");
    });
    return w;
  };

  const call = (op: Op, args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      if (closed) return reject(new Error("closed: the daemon is stopping"));
      worker ??= start();
      const id = nextId++;
      try {
        worker.postMessage({ id, dbPath, op, args } satisfies Request);
      } catch (err) {
        return reject(err instanceof Error ? err : new Error(String(err)));
      }
      pending.set(id, { resolve, reject });
      if (pending.size === 1) timeHead();
    });

  return queriesVia(call, () => {
    closed = true;
    stop("closed: the daemon is stopping");
  });
}
