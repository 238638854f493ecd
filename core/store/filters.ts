// The WHERE clauses shared by listRequests, countRows and summary (over requests and the rollup).

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
  /** Providers left out (the lifecycle self-test writes provider "halton-meter"). */
  excludeProviders?: readonly string[];
}

export interface Where {
  sql: string;
  params: SQLQueryBindings[];
}

/**
 * Conditions on the columns requests and request_rollups share. `unindexed` writes them `+column`,
 * which keeps SQLite from choosing those columns' indexes (when another condition is the selective one).
 */
export function dimensionParts(f: RequestFilter, unindexed = false): { parts: string[]; params: SQLQueryBindings[] } {
  const col = unindexed ? "+" : "";
  const parts: string[] = [];
  const params: SQLQueryBindings[] = [];
  for (const column of ["project", "provider", "model", "client"] as const) {
    const value = f[column];
    if (value === undefined) continue;
    parts.push(`${col}${column} = ?`);
    params.push(value);
  }
  if (f.excludeProviders?.length) {
    parts.push(`${col}provider NOT IN (${f.excludeProviders.map(() => "?").join(", ")})`);
    params.push(...f.excludeProviders);
  }
  return { parts, params };
}

export function whereClause(f: RequestFilter, extra: string[] = [], extraParams: SQLQueryBindings[] = [], unindexed = false): Where {
  const parts: string[] = [];
  const params: SQLQueryBindings[] = [];
  const col = unindexed ? "+" : "";
  if (f.since !== undefined) {
    parts.push(`${col}started_at >= ?`);
    params.push(f.since);
  }
  if (f.until !== undefined) {
    parts.push(`${col}started_at < ?`);
    params.push(f.until);
  }
  const dims = dimensionParts(f, unindexed);
  parts.push(...dims.parts, ...extra);
  params.push(...dims.params, ...extraParams);
  return { sql: parts.length ? `WHERE ${parts.join(" AND ")}` : "", params };
}
