// db.sqlite: integrity, rollup, WAL size.

import { existsSync, statSync } from "node:fs";
import { checkRollup, integrityCheck, openStoreReadOnly, sqliteCode, StoreError } from "../../store/index.ts";
import type { DoctorContext } from "../context.ts";
import { finding, type Finding } from "../types.ts";

const MIB = 1024 * 1024;
/** The daemon truncates the WAL above 64 MiB; far above it, something holds a long read open. */
const WAL_WARN_BYTES = 256 * MIB;

export function checkStore(ctx: DoctorContext): Finding {
  const path = ctx.paths.db;
  if (!existsSync(path)) return finding("store", "ok", "no database yet (the daemon creates it on its first start)");
  let store;
  try {
    store = openStoreReadOnly(path, { busyTimeoutMs: 2000 });
  } catch (err) {
    if (err instanceof StoreError && err.code === "missing") return finding("store", "ok", "database created, no tables yet");
    const message = err instanceof Error ? err.message : String(err);
    return finding("store", "fail", message, err instanceof StoreError && err.hint ? err.hint : `move ${path} aside; the daemon starts a fresh one`);
  }
  try {
    const integrity = integrityCheck(store, { quick: true });
    if (!integrity.ok) return finding("store", "fail", `${path} is damaged: ${integrity.problems.slice(0, 3).join("; ")}`, `stop the daemon, move ${path} aside (keep it: \`sqlite3 db.sqlite .recover\` may save rows), then \`halton-meter start\``);
    const rows = (store.db.query("SELECT COUNT(*) AS n FROM requests").get() as { n: number }).n;
    const rollup = checkRollup(store.db);
    const size = `${(statSync(path).size / MIB).toFixed(1)} MiB`;
    if (rollup && rollup.rolledUp !== rollup.rows) {
      return finding("store", "warn", `${rows} requests, but the daily rollup counts ${rollup.rolledUp} of ${rollup.rows}: reports would be wrong`, "run `halton-meter doctor --fix --apply` (rebuilds the rollup from the rows)", {
        id: "rebuild-rollup",
        does: "rebuild the daily rollup from the stored requests (one write transaction)",
      });
    }
    const pending = rollup?.pending ? `, ${rollup.pending} waiting to be rolled up` : "";
    return finding("store", "ok", `schema ${store.schemaVersion}, integrity ok, ${rows} requests (${size})${pending}`);
  } catch (err) {
    const code = sqliteCode(err) ?? "";
    const message = err instanceof Error ? err.message : String(err);
    if (code.startsWith("SQLITE_BUSY")) return finding("store", "warn", `${path} is locked: ${message}`, `something holds a long write transaction: \`lsof ${path}\``);
    return finding("store", "fail", `${path} cannot be read: ${message}${code ? ` (${code})` : ""}`, `move ${path} aside; the daemon starts a fresh one`);
  } finally {
    store.close();
  }
}

export function checkWal(ctx: DoctorContext): Finding {
  const wal = `${ctx.paths.db}-wal`;
  if (!existsSync(wal)) return finding("store-wal", "ok", "no write-ahead log (the daemon is not writing)");
  const bytes = statSync(wal).size;
  const size = `${(bytes / MIB).toFixed(1)} MiB`;
  if (bytes > WAL_WARN_BYTES) {
    return finding("store-wal", "warn", `db.sqlite-wal is ${size}: a long reader keeps checkpoints from finishing`, `find it with \`lsof ${ctx.paths.db}\` (a report or dashboard left open, \`bodies purge --vacuum\`); the daemon truncates the log once it is free`);
  }
  return finding("store-wal", "ok", `db.sqlite-wal is ${size}`);
}
