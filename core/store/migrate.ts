// Brings a database to the newest schema this build knows, in one transaction, or refuses.

import type { Database } from "bun:sqlite";
import { basename } from "node:path";
import { describe, StoreError } from "./errors.ts";
import type { Migration } from "./schema.ts";

export function userVersion(db: Database): number {
  return (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
}

function checkSteps(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${i} has version ${m.version}, expected ${i + 1}`);
  });
}

/** Schema 0 with tables in it is somebody else's database (or an old Python-era one): not ours to alter. */
function refuseForeignTables(db: Database, file: string): void {
  const tables = db.query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
  if (tables.length === 0) return;
  throw new StoreError(
    "unknown-schema",
    `${file} holds tables Halton Meter did not create (${tables.map((t) => t.name).join(", ")}); it was left untouched`,
    { hint: `move ${file} aside and start again; nothing in it was changed` },
  );
}

/**
 * Reads the schema version and refuses files this build must not touch. It writes nothing, so it
 * runs before anything that would (even switching to WAL rewrites the file header).
 */
export function preflight(db: Database, path: string, migrations: readonly Migration[]): number {
  checkSteps(migrations);
  const known = migrations.length;
  const found = userVersion(db);
  const file = basename(path);
  if (found > known) {
    throw new StoreError(
      "newer-schema",
      `${file} was written by a newer Halton Meter (schema ${found}, this build knows ${known}): upgrade halton-meter`,
      { hint: "install the newer halton-meter again; this build will not touch the file" },
    );
  }
  if (found === 0) refuseForeignTables(db, file);
  return found;
}

/** Runs the pending steps in one transaction; returns the version the database ends at. */
export function migrate(db: Database, path: string, migrations: readonly Migration[], found: number): number {
  const known = migrations.length;
  if (found === known) return found;
  try {
    db.transaction(() => {
      for (const step of migrations.slice(found)) {
        db.run(step.sql);
        step.apply?.(db);
        db.run(`PRAGMA user_version = ${step.version}`);
      }
    }).immediate();
  } catch (err) {
    throw new StoreError(
      "migration-failed",
      `could not upgrade ${basename(path)} from schema ${found} to ${known}: ${describe(err)}; nothing was changed`,
      { cause: err, hint: `run \`halton-meter doctor\`; the database still holds schema ${found}` },
    );
  }
  return known;
}
