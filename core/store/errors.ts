// The store's one error type: a closed set of codes, each with a message a person can act on.

export type StoreErrorCode =
  | "newer-schema" // the file was written by a newer build
  | "not-a-database" // the file exists and is not SQLite: left untouched
  | "unknown-schema" // SQLite, but with tables this program did not create: left untouched
  | "missing" // opened read-only before the daemon ever created it
  | "cannot-open" // missing directory, permissions, a directory in the way...
  | "migration-failed" // an upgrade step failed: rolled back, the file keeps its old schema
  | "write-failed" // the capture writer could not commit: rows stay queued
  | "rows-rejected" // rows SQLite refused outright (a bug upstream): dropped, reported
  | "queue-overflow" // the writer's bounded queue dropped its oldest rows
  | "invalid-cursor"; // a pagination cursor that listRequests did not issue

export class StoreError extends Error {
  override readonly name = "StoreError";
  readonly code: StoreErrorCode;
  /** What the user can do about it, when there is something. */
  readonly hint: string | null;

  constructor(code: StoreErrorCode, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.code = code;
    this.hint = opts.hint ?? null;
  }
}

/** SQLite's error code name ("SQLITE_FULL", "SQLITE_READONLY_DBMOVED"...) when err carries one. */
export function sqliteCode(err: unknown): string | null {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string" && err.code.startsWith("SQLITE_")) {
    return err.code;
  }
  return null;
}

export function describe(err: unknown): string {
  const code = sqliteCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code ? `${message} (${code})` : message;
}
