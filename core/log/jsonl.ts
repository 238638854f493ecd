import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export type Level = "debug" | "info" | "warn" | "error";
export type Fields = Record<string, unknown>;

export interface EventLog {
  /** One line: `{"time","level","event","pid",...fields}`. Never throws: a log must not break a proxy. */
  event(name: string, fields?: Fields, level?: Level): void;
  close(): void;
}

export interface JsonlOptions {
  file: string;
  /** Rotate once the file would pass this many bytes. */
  maxBytes: number;
  /** Rotated files kept (`daemon.log.1` ... `.N`); 0 truncates instead. */
  keep: number;
  now?: () => Date;
  pid?: number;
}

export const EVENT_NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;

/** Renders one log line. Exported for tests and for processes that log elsewhere. */
export function renderLine(time: Date, level: Level, event: string, pid: number, fields: Fields = {}): string {
  const record: Fields = { time: time.toISOString(), level, event, pid };
  for (const [k, v] of Object.entries(fields)) {
    if (k in record || v === undefined) continue;
    record[k] = v instanceof Error ? v.message : typeof v === "bigint" ? Number(v) : v;
  }
  return `${JSON.stringify(record)}\n`;
}

/** A size-capped JSON-lines log with numbered rotation. Writes are synchronous appends to one fd. */
export function createJsonlLog(opts: JsonlOptions): EventLog {
  const now = opts.now ?? (() => new Date());
  const pid = opts.pid ?? process.pid;
  let fd: number | null = null;
  let size = 0;

  const open = () => {
    mkdirSync(dirname(opts.file), { recursive: true });
    fd = openSync(opts.file, "a", 0o600);
    size = fstatSync(fd).size;
  };
  const rotate = () => {
    if (fd !== null) closeSync(fd);
    fd = null;
    if (opts.keep === 0) rmSync(opts.file, { force: true });
    else {
      for (let i = opts.keep - 1; i >= 1; i--) {
        try {
          renameSync(`${opts.file}.${i}`, `${opts.file}.${i + 1}`);
        } catch {}
      }
      renameSync(opts.file, `${opts.file}.1`);
    }
    open();
  };

  return {
    event(name, fields, level = "info") {
      try {
        if (fd === null) open();
        const line = Buffer.from(renderLine(now(), level, name, pid, fields));
        if (size > 0 && size + line.length > opts.maxBytes) rotate();
        size += writeSync(fd!, line);
      } catch {
        // Logging is best effort: a full disk or a vanished folder must not take the process down.
      }
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

/** A log that keeps lines in memory: for tests and for pure code that wants to record events. */
export function memoryLog(): EventLog & { lines: Array<Fields & { event: string; level: Level }> } {
  const lines: Array<Fields & { event: string; level: Level }> = [];
  return {
    lines,
    event(name, fields = {}, level = "info") {
      lines.push({ ...fields, event: name, level });
    },
    close() {},
  };
}
