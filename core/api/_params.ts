// Query strings in, typed values or a 400 message out (valibot). Unknown parameters are errors:
// a typo must not silently widen a query.

import * as v from "valibot";
import { SELF_TEST_PROVIDER } from "../usage/types.ts";
import { resolvePeriod, type Period } from "../report/period.ts";
import type { RequestFilter } from "../store/index.ts";

export type Result<T> = { ok: true; value: T } | { ok: false; message: string };

const text = (what: string) => v.optional(v.pipe(v.string(), v.minLength(1, `${what} must not be empty`), v.maxLength(200, `${what} is too long`)));
const flag = v.optional(v.picklist(["1", "0", "true", "false"], "use 1 or 0"));
const count = (min: number, max: number) =>
  v.optional(v.pipe(v.string(), v.regex(/^\d{1,9}$/, "a whole number"), v.transform(Number), v.minValue(min, `at least ${min}`), v.maxValue(max, `at most ${max}`)));

const FILTER = {
  project: text("project"),
  provider: text("provider"),
  model: text("model"),
  client: text("client"),
  include_self_test: flag,
};
const PERIOD = { since: text("since"), from: text("from"), to: text("to") };

export const STATS_QUERY = v.strictObject({ ...FILTER, ...PERIOD });
export const PROJECTS_QUERY = v.strictObject({ ...PERIOD, include_self_test: flag });
export const LIMITS_QUERY = v.strictObject({ provider: text("provider"), pace: text("pace") });
export const REQUESTS_QUERY = v.strictObject({ ...FILTER, ...PERIOD, limit: count(1, 1000), cursor: text("cursor"), after: count(0, Number.MAX_SAFE_INTEGER) });

function firstIssue(issues: v.BaseIssue<unknown>[]): string {
  const issue = issues[0]!;
  const key = issue.path?.map((p) => String(p.key)).join(".");
  if (issue.kind === "schema" && issue.type === "strict_object" && key) return `unknown parameter "${key}"`;
  return key ? `${key}: ${issue.message}` : issue.message;
}

/** Parses a query (every value of every parameter) against a schema. A repeated parameter is an
 * error: which of two `since` values a caller meant is a guess. */
export function parseQuery<S extends v.GenericSchema>(schema: S, query: Record<string, string[]>): Result<v.InferOutput<S>> {
  const single: Record<string, string> = {};
  for (const [name, values] of Object.entries(query)) {
    if (values.length > 1) return { ok: false, message: `${name}: given ${values.length} times; give it once` };
    single[name] = values[0] ?? "";
  }
  const parsed = v.safeParse(schema, single);
  return parsed.success ? { ok: true, value: parsed.output } : { ok: false, message: firstIssue(parsed.issues) };
}

interface FilterQuery {
  project?: string;
  provider?: string;
  model?: string;
  client?: string;
  include_self_test?: string;
}

export function filterOf(q: FilterQuery, period: Period | null): RequestFilter {
  const selfTest = q.include_self_test === "1" || q.include_self_test === "true";
  return {
    ...(period && { since: period.since, until: period.until }),
    ...(q.project !== undefined && { project: q.project }),
    ...(q.provider !== undefined && { provider: q.provider }),
    ...(q.model !== undefined && { model: q.model }),
    ...(q.client !== undefined && { client: q.client }),
    ...(!selfTest && { excludeProviders: [SELF_TEST_PROVIDER] }),
  };
}

/** since/from/to as the CLI reads them; `fallback` when none is given (null: no time bound). */
export function periodOf(q: { since?: string; from?: string; to?: string }, now: number, fallback: string | null): Result<Period | null> {
  if (q.since === undefined && q.from === undefined && q.to === undefined && fallback === null) return { ok: true, value: null };
  const p = resolvePeriod({ since: q.since, from: q.from, to: q.to, now, defaultSince: fallback ?? undefined });
  return p.ok ? p : { ok: false, message: p.message.replace(/--(since|from|to)\b/g, "$1") };
}
