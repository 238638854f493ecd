// Versioned schema. Each step runs once, in order, inside the upgrade transaction; `version` is
// what PRAGMA user_version holds after it. Never edit a shipped step: append a new one.
// Rows in `requests` are only ever inserted through insertRows, which keeps request_rollups in step
// (see rollup.ts); anything that deletes or rewrites rows must rebuild the rollup.

import type { Database } from "bun:sqlite";
import { refoldAll } from "./rollup.ts";

export interface Migration {
  version: number;
  description: string;
  sql: string;
  /** Work SQL alone cannot do (backfilling from rows), run after `sql` in the same transaction. */
  apply?: (db: Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "requests, bodies and meta",
    sql: `
      CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        exchange_id TEXT NOT NULL UNIQUE,
        started_at INTEGER NOT NULL,
        first_byte_at INTEGER,
        ended_at INTEGER,
        provider TEXT NOT NULL,
        host TEXT NOT NULL,
        endpoint TEXT,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        model TEXT,
        status INTEGER,
        stream INTEGER NOT NULL DEFAULT 0 CHECK (stream IN (0, 1)),
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_5m_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,
        reasoning_tokens INTEGER NOT NULL DEFAULT 0,
        cost_micros INTEGER,
        price_status TEXT NOT NULL CHECK (price_status IN ('priced', 'unpriced', 'unmetered')),
        price_source TEXT,
        tokens_complete INTEGER NOT NULL DEFAULT 1 CHECK (tokens_complete IN (0, 1)),
        metered INTEGER NOT NULL DEFAULT 1 CHECK (metered IN (0, 1)),
        latency_ms INTEGER,
        ttfb_ms INTEGER,
        project TEXT,
        project_source TEXT,
        client TEXT,
        pid INTEGER,
        user_agent TEXT,
        error_type TEXT,
        note TEXT,
        -- money is integer micro-dollars, present exactly when the row is priced
        CHECK ((price_status = 'priced') = (cost_micros IS NOT NULL))
      ) STRICT;
      CREATE INDEX requests_started_at ON requests (started_at);
      CREATE INDEX requests_project_started_at ON requests (project, started_at);
      CREATE INDEX requests_model ON requests (model);
      CREATE INDEX requests_provider ON requests (provider);

      CREATE TABLE bodies (
        request_id INTEGER PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        request_body TEXT,
        response_body TEXT,
        request_bytes INTEGER NOT NULL DEFAULT 0,
        response_bytes INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX bodies_created_at ON bodies (created_at);

      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      INSERT INTO meta (key, value) VALUES ('created_at', CAST(unixepoch('subsec') * 1000 AS INTEGER));
    `,
  },
  {
    version: 2,
    description: "daily rollup of requests, backfilled; latency index for percentiles",
    sql: `
      CREATE TABLE request_rollups (
        day_start INTEGER NOT NULL,
        day_end INTEGER NOT NULL,
        provider TEXT NOT NULL,
        model TEXT,
        project TEXT,
        client TEXT,
        requests INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_write_5m_tokens INTEGER NOT NULL,
        cache_write_1h_tokens INTEGER NOT NULL,
        reasoning_tokens INTEGER NOT NULL,
        cost_micros INTEGER NOT NULL,
        unpriced INTEGER NOT NULL,
        latency_n INTEGER NOT NULL,
        latency_sum INTEGER NOT NULL,
        latency_hist BLOB
      ) STRICT;
      CREATE INDEX request_rollups_day ON request_rollups (day_start, provider, model, project, client);
      CREATE INDEX requests_latency ON requests (latency_ms, started_at);
      INSERT INTO meta (key, value) VALUES ('rollup_through_id', '0');
    `,
    // Folded by schema 5, which adds the last sum column: the fold writes every one of them.
  },
  {
    version: 3,
    description: "the provider's own report of the account's limits that came with a request (JSON, as sent)",
    sql: "ALTER TABLE requests ADD COLUMN rate_limits TEXT;",
  },
  {
    version: 4,
    description: "the account (a salted fingerprint) and the client's session of each request; the providers' limit windows over time",
    // `account` is an HMAC of the request's credential keyed by meta.account_salt, which never
    // leaves this file: the credential itself is stored nowhere. '' is an account not known.
    // One limit_samples row per window per response that reported it, kept with its request.
    sql: `
      ALTER TABLE requests ADD COLUMN account TEXT;
      ALTER TABLE requests ADD COLUMN session TEXT;
      CREATE INDEX requests_session ON requests (session, started_at) WHERE session IS NOT NULL;
      CREATE INDEX requests_account ON requests (account, started_at) WHERE account IS NOT NULL;

      CREATE TABLE limit_samples (
        id INTEGER PRIMARY KEY,
        request_id INTEGER REFERENCES requests (id) ON DELETE CASCADE,
        observed_at INTEGER NOT NULL,
        provider TEXT NOT NULL,
        account TEXT NOT NULL DEFAULT '',
        window_name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('rate-limit', 'subscription')),
        utilization REAL,
        limit_value REAL,
        remaining REAL,
        resets_at INTEGER,
        window_minutes INTEGER,
        status TEXT,
        extra TEXT
      ) STRICT;
      CREATE INDEX limit_samples_window ON limit_samples (provider, account, window_name, observed_at);
      CREATE INDEX limit_samples_observed_at ON limit_samples (observed_at);
      CREATE INDEX limit_samples_request ON limit_samples (request_id);

      INSERT INTO meta (key, value) VALUES ('account_salt', lower(hex(randomblob(32))));
    `,
  },
  {
    version: 5,
    description: "the rollup counts the provider hosts' other calls apart from LLM calls, and leaves them out of latency",
    sql: "ALTER TABLE request_rollups ADD COLUMN other_calls INTEGER NOT NULL DEFAULT 0;",
    // Every day is folded again: the old sums counted other calls as requests and in the histograms.
    apply: (db) => void refoldAll(db),
  },
];
