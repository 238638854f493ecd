// What one exchange's row says, as a pure function of what the observer gathered: the status
// decides the shape (no response, HTTP error, unmetered, metered), the tally gives the counts,
// and the problems met while reading decide whether the counts can be called complete.

import { ZERO_TOKENS, type TokenCounts, type UsageResult } from "../usage/types.ts";
import { shorten, type Endpoint, type ErrorInfo, type RequestFacts, type Tally } from "./_usage.ts";

/** Everything the observer knows once the exchange is over. */
export interface ExchangeOutcome {
  endpoint: Endpoint;
  request: RequestFacts;
  stream: boolean;
  /** The final response status; null when no final head arrived. */
  status: number | null;
  tally: Tally;
  /** What went wrong while reading the body: each one makes the counts incomplete. */
  problems: readonly string[];
  /** The error body of a >= 400 response, picked with ERROR_SPEC; undefined when none was read. */
  errorBody: unknown;
  /** The response arrived to its end. */
  complete: boolean;
}

export function usageResult(outcome: ExchangeOutcome): UsageResult {
  const { endpoint, request, status, tally } = outcome;
  const problems = [...outcome.problems];
  const base = {
    provider: endpoint.provider,
    endpoint: endpoint.name,
    model: tally.model ?? endpoint.urlModel ?? request.model,
    metered: endpoint.metered,
    stream: outcome.stream,
    ...(endpoint.billing ? { billing: endpoint.billing } : {}),
  };
  const zero = { ...ZERO_TOKENS };
  if (status === null) {
    const note = endpoint.metered ? "no response was received" : null;
    return { ...base, tokens: zero, tokensComplete: !endpoint.metered, errorType: null, note };
  }
  if (status >= 400) {
    const info: ErrorInfo | null = outcome.errorBody === undefined ? null : endpoint.errorOf(outcome.errorBody);
    const note = info?.message ? `HTTP ${status}: ${shorten(info.message)}` : `HTTP ${status}`;
    return { ...base, tokens: zero, tokensComplete: true, errorType: info?.type ?? `http_${status}`, note };
  }
  if (status < 200 || status >= 300 || !endpoint.metered) {
    const note = endpoint.metered ? `HTTP ${status}: no usage in this response` : joinNotes(problems);
    return { ...base, tokens: zero, tokensComplete: true, errorType: null, note };
  }
  if (tally.badCounts.size > 0) problems.push(`usage ${[...tally.badCounts].join(", ")} not a token count; counted as 0`);
  const { tokens, clipped } = storable(tally.tokens);
  if (clipped) problems.push("a token count was out of range; counted as 0");
  const notes = [...problems, ...tally.notes];
  if (!outcome.complete) notes.push("the response was cut off before its end");
  else if (!tally.final && notes.length === 0 && tally.errorType === null) {
    notes.push("the response carried no final usage report");
  }
  return {
    ...base,
    tokens,
    tokensComplete: outcome.complete && tally.final && problems.length === 0,
    errorType: tally.errorType,
    note: joinNotes(notes),
  };
}

/** The row of an exchange whose result could not be built: a bug, said as such. */
export function failedResult(endpoint: Endpoint, err: unknown): UsageResult {
  return {
    provider: endpoint.provider,
    endpoint: endpoint.name,
    model: null,
    metered: endpoint.metered,
    stream: false,
    tokens: { ...ZERO_TOKENS },
    tokensComplete: false,
    errorType: null,
    note: adapterError(err),
  };
}

/** "adapter error: ...": the note for a bug in adapter code. */
export function adapterError(err: unknown): string {
  return `adapter error: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * Whole, non-negative counts that SQLite stores exactly (a sum of many can pass the safe range, and
 * an INTEGER column refuses the row). `clipped`: a positive count had to become 0.
 */
function storable(tokens: TokenCounts): { tokens: TokenCounts; clipped: boolean } {
  let clipped = false;
  const clean = (n: number) => {
    const r = Math.round(n);
    if (Number.isSafeInteger(r)) return Math.max(r, 0);
    if (r > 0) clipped = true;
    return 0;
  };
  return {
    tokens: {
      input: clean(tokens.input),
      output: clean(tokens.output),
      cacheRead: clean(tokens.cacheRead),
      cacheWrite5m: clean(tokens.cacheWrite5m),
      cacheWrite1h: clean(tokens.cacheWrite1h),
      reasoning: clean(tokens.reasoning),
    },
    clipped,
  };
}

function joinNotes(notes: string[]): string | null {
  const unique = [...new Set(notes)];
  return unique.length === 0 ? null : unique.join("; ");
}
