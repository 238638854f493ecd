// The sums every aggregate carries, defined once: what a request row adds to each, how a set of raw
// rows sums it in SQL, its column in the daily rollup, and its field in a summary row. The select
// lists, the fold, the rollup's upsert and the row mapping are all generated from SUM_COLUMNS, so
// a sum is added or moved here alone and nothing counts positions by hand.
// Every sum merges by addition: a rollup day adds into a group, a folded row into its day
// (`SUM(column)` on read, `column = column + ?` on write). What does not add up (the p95) is not here.

export interface SumColumn {
  /** Its column in request_rollups. */
  readonly name: string;
  /** The requests columns it is computed from (what the raw branches of a summary must carry). */
  readonly reads: readonly string[];
  /** What one requests row adds, as SQL over that row: a number, never NULL (the rollup's fold). */
  readonly perRow: string;
  /** The same sum over a set of requests rows as an SQL aggregate, 0 over none (a summary's raw part). */
  readonly overRows: string;
  /** Its field in a summary row; absent for a sum that only feeds a derived field. */
  readonly field?: string;
}

const total = (sql: string) => `COALESCE(SUM(${sql}), 0)`;

/** A row's latency when it counts toward the latency figures (p95 included): metered rows only. */
export const METERED_LATENCY = "CASE WHEN metered = 1 THEN latency_ms END";

/** A token count: NOT NULL DEFAULT 0 in requests, so a row adds the column itself. */
const tokens = <N extends string, F extends string>(name: N, field: F) => ({ name, reads: [name], perRow: name, overRows: total(name), field }) as const;

export const SUM_COLUMNS = [
  // LLM calls: the metered rows. The provider hosts' other calls (a client's settings, policy and
  // health checks) are counted apart (other_calls, last), and add nothing to the tokens or the latency.
  { name: "requests", reads: ["metered"], perRow: "metered", overRows: total("metered"), field: "requests" },
  tokens("input_tokens", "inputTokens"),
  tokens("output_tokens", "outputTokens"),
  tokens("cache_read_tokens", "cacheReadTokens"),
  tokens("cache_write_5m_tokens", "cacheWrite5mTokens"),
  tokens("cache_write_1h_tokens", "cacheWrite1hTokens"),
  tokens("reasoning_tokens", "reasoningTokens"),
  // NULL exactly when the row is not priced: the sum is over priced rows, integer micro-dollars.
  { name: "cost_micros", reads: ["cost_micros"], perRow: "COALESCE(cost_micros, 0)", overRows: total("cost_micros"), field: "costMicros" },
  { name: "unpriced", reads: ["price_status"], perRow: "price_status = 'unpriced'", overRows: total("price_status = 'unpriced'"), field: "unpricedRequests" },
  // The two behind avgLatencyMs: metered rows with a latency, and the sum of their latencies.
  { name: "latency_n", reads: ["metered", "latency_ms"], perRow: "(metered = 1 AND latency_ms IS NOT NULL)", overRows: `COUNT(${METERED_LATENCY})` },
  { name: "latency_sum", reads: ["metered", "latency_ms"], perRow: `COALESCE(${METERED_LATENCY}, 0)`, overRows: total(METERED_LATENCY) },
  // Last, as schema 5 added its column to the rollup.
  { name: "other_calls", reads: ["metered"], perRow: "1 - metered", overRows: total("1 - metered"), field: "otherCalls" },
] as const satisfies readonly SumColumn[];

type Column = (typeof SUM_COLUMNS)[number];
export type SumName = Column["name"];

/** The summary-row fields that are sums, each a number. */
export type SummedFields = { [C in Column as C extends { field: infer F extends string } ? F : never]: number };

export const SUM_COUNT = SUM_COLUMNS.length;

/** Each sum's index in a group's sums, and its offset after the keys in every generated select list. */
export const SUM_AT = Object.fromEntries(SUM_COLUMNS.map((c, i) => [c.name, i])) as Record<SumName, number>;

const FIELDS = SUM_COLUMNS.flatMap((c, at) => ("field" in c ? [[c.field, at] as const] : []));

export const newSums = (): number[] => new Array(SUM_COUNT).fill(0);

/** A group's sums by name. */
export const sumsByName = (sums: readonly number[]): Record<SumName, number> =>
  Object.fromEntries(SUM_COLUMNS.map((c, i) => [c.name, sums[i]!])) as Record<SumName, number>;

/** A group's sums as summary-row fields, in SUM_COLUMNS order. */
export const summedFields = (sums: readonly number[]): SummedFields => Object.fromEntries(FIELDS.map(([field, at]) => [field, sums[at]!])) as SummedFields;

/** Select lists, in SUM_COLUMNS order. */
export const SUMS_OVER_ROWS = SUM_COLUMNS.map((c) => c.overRows).join(", ");
export const SUMS_PER_ROW = SUM_COLUMNS.map((c) => c.perRow).join(", ");
export const SUMS_OVER_ROLLUP = SUM_COLUMNS.map((c) => `SUM(${c.name})`).join(", ");
export const ROLLUP_COLUMNS: readonly string[] = SUM_COLUMNS.map((c) => c.name);

/** The requests columns every sum reads, each once. */
export const SUMMED_READS: readonly string[] = [...new Set(SUM_COLUMNS.flatMap((c): readonly string[] => c.reads))];
