// What the commands that only read db.sqlite share: the store opened read-only (works with the
// daemon down), every database error as one a person can act on, and the terminal's width.

import { describeReadError, openReadStore, type ReadStore } from "../core/report/open.ts";
import { UserError } from "./_errors.ts";

/** The width tables are fitted to: the terminal's, else $COLUMNS, else 100. */
export const terminalWidth = (): number => process.stdout.columns || Number(process.env.COLUMNS) || 100;

/** Runs `read` on the store opened read-only, closes it after; a database failure is a UserError. */
export function readingStore<T>(db: string, read: (opened: Extract<ReadStore, { ok: true }>) => T): T {
  const opened = openReadStore(db);
  if (!opened.ok) throw new UserError(opened.message, opened.hint);
  try {
    return read(opened);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const { message, hint } = describeReadError(err, db);
    throw new UserError(message, hint);
  } finally {
    opened.store.close();
  }
}
