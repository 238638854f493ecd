// The WHERE clause shared by listRequests, countRows and summary.

import type { SQLQueryBindings } from "bun:sqlite";

export interface RequestFilter {
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  project?: string;
  provider?: string;
  model?: string;
  client?: string;
}

export function whereClause(f: RequestFilter, extra: string[] = [], extraParams: SQLQueryBindings[] = []): { sql: string; params: SQLQueryBindings[] } {
  const parts: string[] = [];
  const params: SQLQueryBindings[] = [];
  const add = (sql: string, value: SQLQueryBindings | undefined) => {
    if (value === undefined) return;
    parts.push(sql);
    params.push(value);
  };
  add("started_at >= ?", f.since);
  add("started_at < ?", f.until);
  add("project = ?", f.project);
  add("provider = ?", f.provider);
  add("model = ?", f.model);
  add("client = ?", f.client);
  parts.push(...extra);
  params.push(...extraParams);
  return { sql: parts.length ? `WHERE ${parts.join(" AND ")}` : "", params };
}
