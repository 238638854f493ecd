// One captured exchange as the store writes and reads it.

import type { Database, SQLQueryBindings } from "bun:sqlite";
import type { TokenCounts } from "../usage/types.ts";
import { insertLimitSamples, type LimitSampleRow } from "./limits.ts";
import { redactSecrets } from "./redact.ts";
import { foldPending } from "./rollup.ts";

export type PriceStatus = "priced" | "unpriced" | "unmetered";

/** What the capture path hands the writer. Optional fields are stored as NULL (or their default). */
export interface RequestRow {
  /** Unique per exchange: a retried write with the same id never adds a second row. */
  exchangeId: string;
  /** Epoch milliseconds. */
  startedAt: number;
  firstByteAt?: number | null;
  endedAt?: number | null;
  provider: string;
  host: string;
  endpoint?: string | null;
  method: string;
  /** Path and query as sent; key-shaped secrets in it (Gemini's ?key=AIza...) are redacted when stored. */
  path: string;
  model?: string | null;
  status?: number | null;
  stream?: boolean;
  tokens: TokenCounts;
  /** Integer micro-dollars; null unless priceStatus is "priced". */
  costMicros?: number | null;
  priceStatus: PriceStatus;
  priceSource?: string | null;
  tokensComplete?: boolean;
  metered?: boolean;
  latencyMs?: number | null;
  ttfbMs?: number | null;
  project?: string | null;
  /** Which attribution tier named the project ("proxy-auth", "env", "haltonrc", "git", "cwd", "default"). */
  projectSource?: string | null;
  client?: string | null;
  pid?: number | null;
  userAgent?: string | null;
  errorType?: string | null;
  note?: string | null;
  /** The provider's report of the account's limits that came with this request (Codex's `codex.rate_limits`), as JSON. */
  rateLimits?: string | null;
  /** The salted fingerprint of the request's credential ('' when it carried none we read); null for rows before it was kept. */
  account?: string | null;
  /** The client's own session id (Claude Code's, Codex's conversation), when it sends one. */
  session?: string | null;
  /** The limit windows the provider reported with this request, written to limit_samples with it. */
  limits?: readonly LimitSampleRow[];
  /** Optional body capture; secrets are redacted before they reach the disk. */
  bodies?: { request: string | null; response: string | null } | null;
}

/** A stored row, as queries return it. */
export type RequestRecord = Required<Omit<RequestRow, "bodies" | "limits">> & { id: number };

const COLUMNS = [
  "exchange_id", "started_at", "first_byte_at", "ended_at", "provider", "host", "endpoint", "method", "path",
  "model", "status", "stream", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_5m_tokens",
  "cache_write_1h_tokens", "reasoning_tokens", "cost_micros", "price_status", "price_source", "tokens_complete",
  "metered", "latency_ms", "ttfb_ms", "project", "project_source", "client", "pid", "user_agent", "error_type", "note",
  "rate_limits", "account", "session",
] as const;

const INSERT_REQUEST = `INSERT INTO requests (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})
  ON CONFLICT (exchange_id) DO NOTHING`;

const INSERT_BODY = `INSERT INTO bodies (request_id, created_at, request_body, response_body, request_bytes, response_bytes)
  VALUES (?, ?, ?, ?, ?, ?)`;

function bindings(r: RequestRow): SQLQueryBindings[] {
  const t = r.tokens;
  return [
    r.exchangeId, r.startedAt, r.firstByteAt ?? null, r.endedAt ?? null, r.provider, r.host, r.endpoint ?? null,
    r.method, redactSecrets(r.path), r.model ?? null, r.status ?? null, r.stream ? 1 : 0, t.input, t.output, t.cacheRead,
    t.cacheWrite5m, t.cacheWrite1h, t.reasoning, r.costMicros ?? null, r.priceStatus, r.priceSource ?? null,
    r.tokensComplete === false ? 0 : 1, r.metered === false ? 0 : 1, r.latencyMs ?? null, r.ttfbMs ?? null,
    r.project ?? null, r.projectSource ?? null, r.client ?? null, r.pid ?? null, r.userAgent ?? null,
    r.errorType ?? null, r.note === undefined || r.note === null ? null : redactSecrets(r.note), r.rateLimits ?? null,
    r.account ?? null, r.session ?? null,
  ];
}

export interface InsertResult {
  inserted: number;
  /** Rows whose exchange_id was already stored: skipped, not duplicated. */
  duplicates: number;
}

function insertOne(db: Database, row: RequestRow): boolean {
  const created = db.query(INSERT_REQUEST).run(...bindings(row));
  if (created.changes === 0) return false; // this exchange_id is already stored
  if (row.limits?.length) insertLimitSamples(db, created.lastInsertRowid, row.account ?? "", row.limits);
  if (row.bodies) {
    const request = row.bodies.request === null ? null : redactSecrets(row.bodies.request);
    const response = row.bodies.response === null ? null : redactSecrets(row.bodies.response);
    db.query(INSERT_BODY).run(
      created.lastInsertRowid, row.endedAt ?? row.startedAt, request, response,
      request === null ? 0 : Buffer.byteLength(request), response === null ? 0 : Buffer.byteLength(response),
    );
  }
  return true;
}

/** Inserts rows in one transaction, rollup included: all of them or none. */
export function insertRows(store: { db: Database }, rows: readonly RequestRow[]): InsertResult {
  const db = store.db;
  let inserted = 0;
  db.transaction(() => {
    for (const row of rows) if (insertOne(db, row)) inserted++;
    if (inserted > 0) foldPending(db);
  }).immediate();
  return { inserted, duplicates: rows.length - inserted };
}

export type SqlRequestRow = Record<(typeof COLUMNS)[number] | "id", string | number | null>;

/** A `SELECT *` row from requests, back to the shape the rest of the code speaks. */
export function toRecord(r: SqlRequestRow): RequestRecord {
  const n = (v: string | number | null) => v as number;
  const s = (v: string | number | null) => v as string;
  return {
    id: n(r.id), exchangeId: s(r.exchange_id), startedAt: n(r.started_at), firstByteAt: n(r.first_byte_at),
    endedAt: n(r.ended_at), provider: s(r.provider), host: s(r.host), endpoint: s(r.endpoint), method: s(r.method),
    path: s(r.path), model: s(r.model), status: n(r.status), stream: r.stream === 1,
    tokens: {
      input: n(r.input_tokens), output: n(r.output_tokens), cacheRead: n(r.cache_read_tokens),
      cacheWrite5m: n(r.cache_write_5m_tokens), cacheWrite1h: n(r.cache_write_1h_tokens), reasoning: n(r.reasoning_tokens),
    },
    costMicros: n(r.cost_micros), priceStatus: s(r.price_status) as PriceStatus, priceSource: s(r.price_source),
    tokensComplete: r.tokens_complete === 1, metered: r.metered === 1, latencyMs: n(r.latency_ms), ttfbMs: n(r.ttfb_ms),
    project: s(r.project), projectSource: s(r.project_source), client: s(r.client), pid: n(r.pid),
    userAgent: s(r.user_agent), errorType: s(r.error_type), note: s(r.note), rateLimits: s(r.rate_limits),
    account: s(r.account), session: s(r.session),
  };
}
