// Opening db.sqlite for a reader (report, tail): read-only, and every way it can fail as a value.

import { openStore, openStoreReadOnly, sqliteCode, StoreError, type Store } from "../store/index.ts";

export type ReadStore =
  | { ok: true; store: Store; empty: false }
  /** No database yet: an empty in-memory one stands in, so JSON and CSV still have their shape. */
  | { ok: true; store: Store; empty: true; message: string }
  | { ok: false; message: string; hint: string };

const DAMAGED_HINT = "run `halton-meter doctor`; move the file aside to start a fresh one (the daemon recreates it)";

export function openReadStore(path: string): ReadStore {
  try {
    return { ok: true, store: openStoreReadOnly(path), empty: false };
  } catch (err) {
    if (err instanceof StoreError && err.code === "missing") {
      return { ok: true, store: openStore(":memory:"), empty: true, message: `No data yet: ${err.message}; ${err.hint}.` };
    }
    return { ok: false, ...describeReadError(err, path) };
  }
}

/** A database error met while reading, in words: damaged file, locked, newer schema... */
export function describeReadError(err: unknown, path: string): { message: string; hint: string } {
  if (err instanceof StoreError) return { message: err.message, hint: err.hint ?? DAMAGED_HINT };
  const code = sqliteCode(err) ?? "";
  const reason = err instanceof Error ? err.message : String(err);
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") return { message: `${path} is damaged (${reason})`, hint: DAMAGED_HINT };
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return { message: `${path} is locked by another process (${reason})`, hint: "try again in a moment; `halton-meter doctor` shows who holds it" };
  if (code) return { message: `cannot read ${path}: ${reason} (${code})`, hint: DAMAGED_HINT };
  throw err;
}
