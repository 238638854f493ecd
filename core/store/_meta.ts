// The meta table's key/value pairs (marks, the account salt): one read and one write for all of them.

import type { Database } from "bun:sqlite";

export function metaValue(db: Database, key: string): string | null {
  const row = db.query("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | null;
  return row ? row.value : null;
}

export function setMetaValue(db: Database, key: string, value: string): void {
  db.query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
}
