import { afterEach, beforeEach } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { insertRows, MIGRATIONS, openStore, type RequestRow, type Store } from "../../core/store/index.ts";
import type { Timers } from "../../core/time/timers.ts";

/** A fresh directory under the system temp dir; remove() when done. */
export function tempDir(): { dir: string; path: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "halton-store-"));
  return { dir, path: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh store in a fresh folder for every test of the calling file; closed and removed after. */
export function freshStorePerTest(): { readonly store: Store; readonly tmp: ReturnType<typeof tempDir> } {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let store: Store | undefined;
  beforeEach(() => {
    tmp = tempDir();
    store = openStore(tmp.path("db.sqlite"));
  });
  afterEach(() => {
    store?.close();
    tmp?.remove();
  });
  return {
    get store() {
      return store!;
    },
    get tmp() {
      return tmp!;
    },
  };
}

export const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

export function makeRow(i: number, over: Partial<RequestRow> = {}): RequestRow {
  return {
    exchangeId: `ex-${i}`,
    startedAt: T0 + i * 1000,
    endedAt: T0 + i * 1000 + 500,
    provider: "anthropic",
    host: "api.anthropic.com",
    endpoint: "messages",
    method: "POST",
    path: "/v1/messages",
    model: "claude-sonnet-4-5",
    status: 200,
    stream: true,
    tokens: { input: 100, output: 50, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 },
    costMicros: 1050,
    priceStatus: "priced",
    priceSource: "genai-prices@0.1.8/2026-09-22",
    latencyMs: 500,
    ttfbMs: 100,
    project: "alpha",
    projectSource: "env",
    client: "claude-code",
    ...over,
  };
}

/** Timers that fire only when the test says so. */
export function manualTimers() {
  let nextId = 1;
  const pending = new Map<number, { fn: () => void; ms: number }>();
  const timers: Timers = {
    setTimeout(fn, ms) {
      const id = nextId++;
      pending.set(id, { fn, ms });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  return {
    timers,
    /** Delays of the timers now pending. */
    delays: () => [...pending.values()].map((p) => p.ms),
    /** Runs every pending timer once; returns how many ran. */
    fire() {
      const due = [...pending.values()];
      pending.clear();
      for (const p of due) p.fn();
      return due.length;
    },
  };
}

/**
 * A database file as a build of schema 1 left it, holding `rows`: written as this build writes
 * them, then the columns later schemas added dropped again.
 */
export function schemaOneFile(path: string, rows: RequestRow[]): void {
  olderSchemaFile(path, 1, rows);
}

/** Columns later schema steps added to requests, by the step that added them. */
const LATER_COLUMNS: ReadonlyArray<readonly [version: number, column: string]> = [
  [3, "rate_limits"],
  [4, "account"],
  [4, "session"],
];

/**
 * A db.sqlite as schema `version` left it, holding `rows` (written by today's insert, with the
 * later columns there for the write and gone again after).
 */
export function olderSchemaFile(path: string, version: number, rows: RequestRow[]): void {
  const old = openStore(path, { migrations: MIGRATIONS.slice(0, version) });
  const later = LATER_COLUMNS.filter(([v]) => v > version).map(([, c]) => c);
  for (const c of later) old.db.run(`ALTER TABLE requests ADD COLUMN ${c} TEXT`);
  // The fold writes every sum column of today's rollup; schema 5 added other_calls to it.
  const rollupLacks = version >= 2 && version < 5;
  if (rollupLacks) old.db.run("ALTER TABLE request_rollups ADD COLUMN other_calls INTEGER NOT NULL DEFAULT 0");
  insertRows(old, rows.map(({ limits: _, ...row }) => row));
  for (const c of later) old.db.run(`ALTER TABLE requests DROP COLUMN ${c}`);
  if (rollupLacks) old.db.run("ALTER TABLE request_rollups DROP COLUMN other_calls");
  old.close();
}
