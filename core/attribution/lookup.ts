// Who is calling, found off the proxy's loop. Two worker threads (lookup-worker.ts): one finds
// the process behind a connection and reads its own facts from /proc, the other walks its
// folders. Every lookup has a deadline; when it passes, the connection goes on with what is
// known by then (the process's HALTON_PROJECT and cwd if only the walk is late, else the proxy
// credentials or the default project) and a log line says which step ran out of time. A thread
// that stops answering is replaced, a bounded number of times.

import type { EventLog } from "../log/jsonl.ts";
import { realTimers, type Timers } from "../time/timers.ts";
import { workerModule } from "../worker-module.ts";
import { type Attribution, chooseProject, type FolderFacts, type ProcessFacts } from "./project.ts";

export type LookupRequest = { id: number; op: "process"; clientPort: number; serverPort: number } | { id: number; op: "folders"; cwd: string };
export type LookupReply =
  | { id: number; op: "process"; pid: number | null; proc: ProcessFacts | null }
  | { id: number; op: "folders"; folders: FolderFacts; notes: string[] }
  | { id: number; op: "error"; message: string };

export interface Identity {
  pid: number | null;
  attribution: Attribution;
}

export interface Lookup {
  /** The calling process (null: unknown), once found or when the deadline passes. */
  readonly pid: Promise<number | null>;
  readonly identity: Promise<Identity>;
}

export interface WorkerLike {
  postMessage(message: LookupRequest): void;
  onmessage: ((e: { data: LookupReply }) => void) | null;
  onerror: ((e: { message?: string }) => void) | null;
  terminate(): void;
}

export interface AttributorOptions {
  /** `[daemon] attribution_timeout_ms`. */
  timeoutMs: number;
  defaultProject: string;
  log: EventLog;
  /** Starts a lookup thread; null where there is no /proc (only credentials and the default answer). */
  spawn: (() => WorkerLike) | null;
  timers?: Timers;
  now?: () => number;
}

export interface Attributor {
  lookup(client: { port: number; serverPort: number; proxyProject: string | null }): Lookup;
  close(): void;
}

/** The same note (a FIFO .haltonrc above every shell) is logged once in this long. */
const NOTE_EVERY_MS = 10 * 60_000;
/** A thread blocked in a read cannot be ended, only abandoned: after this many, its step is given up. */
export const MAX_REPLACED = 8;

type Handler = (r: LookupReply) => void;

/** A lane with no thread left (logged once, as attribution.step_disabled): its lookups go on quietly without it. */
const UNAVAILABLE = "unavailable";
const failure = (what: string, r: Extract<LookupReply, { op: "error" }>) => (r.message === UNAVAILABLE ? null : `${what} failed: ${r.message}`);

/** One worker thread and the requests it owes an answer. */
function lane(name: string, opts: AttributorOptions, now: () => number) {
  const waiting = new Map<number, Handler>();
  let worker: WorkerLike | null = null;
  let lastReplyAt = now();
  let replaced = 0;
  // Silent for this long while requests wait: stuck in a read, not just busy.
  const stuckMs = Math.max(1000, 4 * opts.timeoutMs);

  const abandon = (why: string) => {
    replaced++;
    opts.log.event("attribution.worker_replaced", { worker: name, reason: why, waiting: waiting.size, replaced, limit: MAX_REPLACED }, "warn");
    if (replaced === MAX_REPLACED) opts.log.event("attribution.step_disabled", { worker: name, reason: `${MAX_REPLACED} threads stopped answering; restart the daemon to try again` }, "error");
    if (!worker) return;
    worker.onmessage = null;
    worker.onerror = null;
    try {
      worker.terminate();
    } catch {}
    worker = null;
    waiting.clear();
  };

  const ensure = (): WorkerLike | null => {
    if (worker || !opts.spawn || replaced >= MAX_REPLACED) return worker;
    try {
      const w = opts.spawn();
      w.onmessage = (e) => {
        lastReplyAt = now();
        const h = waiting.get(e.data.id);
        waiting.delete(e.data.id);
        h?.(e.data);
      };
      w.onerror = (e) => abandon(`thread failed: ${e.message ?? "unknown error"}`);
      lastReplyAt = now();
      worker = w;
    } catch (err) {
      opts.log.event("attribution.worker_failed", { worker: name, reason: (err as Error).message }, "error");
    }
    return worker;
  };

  return {
    post(req: LookupRequest, handle: Handler): void {
      const w = ensure();
      if (!w) return handle({ id: req.id, op: "error", message: UNAVAILABLE });
      if (waiting.size === 0) lastReplyAt = now();
      waiting.set(req.id, handle);
      w.postMessage(req);
    },
    /** A deadline passed on this lane: replace its thread if it has gone quiet. */
    suspect(): void {
      if (worker && waiting.size > 0 && now() - lastReplyAt > stuckMs) abandon(`no answer for ${now() - lastReplyAt} ms`);
    },
    close(): void {
      waiting.clear();
      if (worker) {
        worker.onmessage = null;
        worker.terminate();
        worker = null;
      }
    },
  };
}

export function createAttributor(opts: AttributorOptions): Attributor {
  const timers = opts.timers ?? realTimers({ unref: true });
  const now = opts.now ?? Date.now;
  const processes = lane("process", opts, now);
  const folders = lane("folders", opts, now);
  const finishers = new Set<(walked: null, why: string) => void>();
  const noted = new Map<string, number>();
  let nextId = 1;

  function note(why: string): void {
    const at = noted.get(why);
    if (at !== undefined && now() - at < NOTE_EVERY_MS) return;
    noted.set(why, now());
    opts.log.event("attribution.file_ignored", { reason: why }, "warn");
  }

  function lookup(client: { port: number; serverPort: number; proxyProject: string | null }): Lookup {
    const fallback = { proxyProject: client.proxyProject, defaultProject: opts.defaultProject };
    let resolvePid!: (pid: number | null) => void;
    let resolveIdentity!: (id: Identity) => void;
    const pid = new Promise<number | null>((r) => (resolvePid = r));
    const identity = new Promise<Identity>((r) => (resolveIdentity = r));
    if (!opts.spawn) {
      resolvePid(null);
      resolveIdentity({ pid: null, attribution: chooseProject(null, null, fallback) });
      return { pid, identity };
    }
    const id = nextId++;
    let found: number | null | undefined;
    let proc: ProcessFacts | null = null;
    let done = false;
    const finish = (walked: FolderFacts | null, why: string | null) => {
      if (done) return;
      done = true;
      timers.clearTimeout(timer);
      finishers.delete(finish);
      if (found === undefined) resolvePid((found = null));
      if (why) opts.log.event("attribution.incomplete", { client_port: client.port, pid: found, reason: why }, "warn");
      resolveIdentity({ pid: found, attribution: chooseProject(proc, walked, fallback) });
    };
    const timer = timers.setTimeout(() => {
      const late = found === undefined ? processes : folders;
      finish(null, `${found === undefined ? "finding the process" : "reading its folders"} took over ${opts.timeoutMs} ms; went on without it`);
      late.suspect();
    }, opts.timeoutMs);
    finishers.add(finish);
    processes.post({ id, op: "process", clientPort: client.port, serverPort: client.serverPort }, (r) => {
      if (done) return;
      if (r.op !== "process") return finish(null, r.op === "error" ? failure("lookup", r) : null);
      proc = r.proc;
      resolvePid((found = r.pid));
      if (!r.proc?.cwd) return finish(null, null);
      folders.post({ id, op: "folders", cwd: r.proc.cwd }, (f) => {
        if (f.op !== "folders") return finish(null, f.op === "error" ? failure("folder walk", f) : null);
        for (const why of f.notes) note(why);
        finish(f.folders, null);
      });
    });
    return { pid, identity };
  }

  return {
    lookup,
    close() {
      for (const f of [...finishers]) f(null, "daemon stopping");
      processes.close();
      folders.close();
    },
  };
}

const WORKER_MODULE = workerModule("core/attribution/lookup-worker.ts", import.meta.url);

/** A real lookup thread; it does not keep the process alive. */
export function spawnLookupWorker(): WorkerLike {
  const w = new Worker(WORKER_MODULE) as Worker & { unref(): void };
  w.unref();
  return w as unknown as WorkerLike;
}
