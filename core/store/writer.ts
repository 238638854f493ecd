// The capture writer: the proxy enqueues a row and returns at once; rows are committed in batched
// transactions a few milliseconds later, off the proxy's stack. A write that fails (disk full,
// read-only, locked) keeps its rows queued, bounded, and retries; nothing is ever thrown at the caller.
// A backlog (the disk had no space for a while) is written one small transaction per tick (250 rows
// or about 256 KiB of bodies and notes), and the next tick waits as long as that one took, so the
// proxy keeps at least half the loop: the event loop also relays every stream, and the edge passes
// a daemon that does not answer within [edge] chain_timeout_ms (150 ms) by, unmetered. Ten thousand
// waiting rows written in one go held the loop 140 ms without bodies and 3 s with 20 KB request and
// response bodies; 1 MiB transactions on a busy machine still took 77 ms each and let the edge pass
// requests by, hence the smaller default.

import { realTimers, type Timers } from "../time/timers.ts";
import { describe, sqliteCode, StoreError } from "./errors.ts";
import type { Store } from "./open.ts";
import { insertRows, type RequestRow } from "./rows.ts";

export interface CaptureWriterOptions {
  /** Delay between the first queued row and its commit. Default 25 ms. */
  flushIntervalMs?: number;
  /** Rows per transaction. Default 250. */
  maxBatch?: number;
  /** About how many bytes of bodies and notes one transaction carries (a larger row goes alone). Default 256 KiB. */
  maxBatchBytes?: number;
  /** Rows held while the disk refuses writes; beyond this the oldest are dropped. Default 10,000. */
  maxQueue?: number;
  /** How long one flush may wait for another process's write lock (the proxy's event loop waits with it). Default 50 ms. */
  busyTimeoutMs?: number;
  onError?: (err: StoreError) => void;
  /** After each committed batch: rows in it and rows committed so far. */
  onCommit?: (batch: number, total: number) => void;
  timers?: Timers;
  /** A monotonic clock in ms, to time transactions. Default performance.now. */
  now?: () => number;
}

export interface WriterStats {
  queued: number;
  committed: number;
  /** Rows lost to queue overflow or refused by SQLite as invalid. */
  dropped: number;
  failedFlushes: number;
  /** Why writing fails right now (rows wait for the store); null once a transaction commits. */
  lastError: string | null;
}

export interface FlushResult {
  committed: number;
  pending: number;
  error: StoreError | null;
}

export interface CaptureWriter {
  enqueue(row: RequestRow): void;
  /** Commits everything queued now (shutdown, tests). */
  flush(): FlushResult;
  /** Flushes, then stops: later rows are dropped and reported. */
  close(): FlushResult;
  stats(): WriterStats;
}

/**
 * Errors that say "this row can never be stored" (a bug upstream: a bad value, a broken invariant),
 * as opposed to "not now" (disk full, read-only, locked, I/O), which keeps rows queued for a retry.
 * Errors without a SQLite code come from binding values, or from a closed connection: the caller
 * tells them apart by probing the connection.
 */
const ROW_ERRORS = ["SQLITE_CONSTRAINT", "SQLITE_MISMATCH", "SQLITE_TOOBIG", "SQLITE_RANGE"];

function isRowError(err: unknown): boolean {
  const code = sqliteCode(err);
  return code === null || ROW_ERRORS.some((t) => code === t || code.startsWith(`${t}_`));
}

const MAX_RETRY_MS = 1000;

/** About what a row costs to write: bodies and a note dominate; the rest is a few hundred bytes. */
function rowBytes(row: RequestRow): number {
  return 512 + (row.note?.length ?? 0) + (row.bodies?.request?.length ?? 0) + (row.bodies?.response?.length ?? 0);
}

/** One try at a batch: rows taken off the queue (written or dropped), rows written, and why it stopped. */
interface Attempt {
  processed: number;
  written: number;
  failure: unknown;
}

export function createCaptureWriter(store: Store, opts: CaptureWriterOptions = {}): CaptureWriter {
  const interval = opts.flushIntervalMs ?? 25;
  const maxBatch = opts.maxBatch ?? 250;
  const maxBatchBytes = opts.maxBatchBytes ?? 256 * 1024;
  const maxQueue = opts.maxQueue ?? 10_000;
  const busyTimeoutMs = opts.busyTimeoutMs ?? 50;
  const timers = opts.timers ?? realTimers();
  const now = opts.now ?? (() => performance.now());

  // A queue with a moving head: enqueue and drop-oldest are O(1); the array is compacted now and then.
  let queue: RequestRow[] = [];
  let head = 0;
  let timer: unknown = null;
  let failures = 0;
  let closed = false;
  /** Rows dropped from a full queue since the store last took a write: reported as one burst. */
  let burst = 0;
  let lastError: string | null = null;
  const stats = { committed: 0, dropped: 0, failedFlushes: 0 };

  const pending = () => queue.length - head;

  function report(err: StoreError): void {
    try {
      opts.onError?.(err);
    } catch {
      // a broken error handler must not break capture
    }
  }

  function schedule(ms: number): void {
    if (timer === null && !closed) timer = timers.setTimeout(tick, ms);
  }

  function tick(): void {
    timer = null;
    const started = now();
    const result = drain(false);
    // The rest of a backlog waits as long as this transaction took: the proxy keeps half the loop.
    if (result.error === null && result.pending > 0) schedule(Math.max(1, Math.round(now() - started)));
  }

  function write(batch: RequestRow[]): void {
    const db = store.db;
    db.run(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    try {
      insertRows(store, batch);
    } finally {
      db.run(`PRAGMA busy_timeout = ${store.busyTimeoutMs}`);
    }
  }

  function usable(): boolean {
    try {
      store.db.query("SELECT 1").get();
      return true;
    } catch {
      return false;
    }
  }

  /** A batch SQLite refused as invalid: write row by row, dropping only the rows it refuses. */
  function isolate(batch: RequestRow[]): Attempt {
    const attempt: Attempt = { processed: 0, written: 0, failure: null };
    for (const row of batch) {
      try {
        write([row]);
        attempt.written++;
      } catch (err) {
        if (!isRowError(err) || !usable()) return { ...attempt, failure: err };
        stats.dropped++;
        report(new StoreError("rows-rejected", `dropped captured request ${row.exchangeId}: ${describe(err)}`, { cause: err }));
      }
      attempt.processed++;
    }
    return attempt;
  }

  function attempt(batch: RequestRow[]): Attempt {
    try {
      write(batch);
      return { processed: batch.length, written: batch.length, failure: null };
    } catch (err) {
      return isRowError(err) ? isolate(batch) : { processed: 0, written: 0, failure: err };
    }
  }

  /** The next transaction's rows: up to maxBatch of them and about maxBatchBytes, never none. */
  function nextBatch(): RequestRow[] {
    const limit = Math.min(queue.length, head + maxBatch);
    let end = head + 1;
    let bytes = rowBytes(queue[head]!);
    while (end < limit && (bytes += rowBytes(queue[end]!)) <= maxBatchBytes) end++;
    return queue.slice(head, end);
  }

  /** The store took a write: the retry backoff ends, and rows a full queue dropped meanwhile are reported once. */
  function writable(): void {
    failures = 0;
    lastError = null;
    if (burst === 0) return;
    report(
      new StoreError("queue-overflow", `${burst} captured requests were dropped while ${store.path} could not be written (the queue holds ${maxQueue} rows); ${stats.dropped} dropped since start`, {
        hint: "free disk space sooner, or raise [capture] queue_max_rows in config.toml",
      }),
    );
    burst = 0;
  }

  function compact(): void {
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head > 4096 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  /** Writes the queue: all of it (`all`), or one transaction. A failure keeps the rest and sets a retry. */
  function drain(all: boolean): FlushResult {
    let committed = 0;
    while (pending() > 0) {
      const { processed, written, failure } = attempt(nextBatch());
      head += processed;
      committed += written;
      stats.committed += written;
      if (written > 0) {
        try {
          opts.onCommit?.(written, stats.committed);
        } catch {
          // observers cannot stop the writer
        }
      }
      if (failure !== null) {
        failures++;
        stats.failedFlushes++;
        lastError = describe(failure);
        const error = new StoreError(
          "write-failed",
          `could not write captured requests to ${store.path}: ${describe(failure)}; ${pending()} kept queued, retrying`,
          { cause: failure, hint: "free disk space or fix the file's permissions; capture resumes by itself" },
        );
        report(error);
        compact();
        schedule(Math.min(MAX_RETRY_MS, interval * 2 ** failures));
        return { committed, pending: pending(), error };
      }
      writable();
      if (!all) break;
    }
    compact();
    return { committed, pending: pending(), error: null };
  }

  function enqueue(row: RequestRow): void {
    if (closed) {
      stats.dropped++;
      report(new StoreError("write-failed", `capture writer is closed: dropped ${row.exchangeId}`));
      return;
    }
    queue.push(row);
    if (pending() > maxQueue) {
      head++;
      stats.dropped++;
      if (burst++ === 0) {
        report(new StoreError("queue-overflow", `capture queue full (${maxQueue} rows) while ${store.path} cannot be written: dropping the oldest; the count follows once writing resumes`));
      }
      compact();
    }
    schedule(interval);
  }

  function flush(): FlushResult {
    if (timer !== null) {
      timers.clearTimeout(timer);
      timer = null;
    }
    return drain(true);
  }

  return {
    enqueue,
    flush,
    close() {
      const result = flush();
      closed = true;
      if (timer !== null) {
        timers.clearTimeout(timer);
        timer = null;
      }
      return result;
    },
    stats: () => ({ queued: pending(), ...stats, lastError }),
  };
}
