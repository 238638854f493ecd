// The shape of genai-prices data (its data.json: a list of providers), as far as pricing reads
// it, and a one-line account of the first thing wrong. Objects are loose: upstream adds fields
// this build does not read. Constraints follow the bundled library's own checks (a constraint it
// cannot read makes it refuse the whole provider).

import type { Provider } from "@pydantic/genai-prices";
import * as v from "valibot";

const PRICE = "a price: a number of 0 or more, or { base, tiers }";
const rate = v.pipe(v.number(PRICE), v.finite(PRICE), v.minValue(0, PRICE));
const tier = v.object({ start: v.pipe(v.number("a token count"), v.safeInteger("a whole token count"), v.minValue(0, "a token count of 0 or more")), price: rate }, "a tier: { start, price }");
const price = v.union([rate, v.object({ base: rate, tiers: v.array(tier, "a list of tiers") })], PRICE);
const modelPrice = v.record(v.string(), price, "a table of prices such as { input_mtok = 3 }");

const isRealDate = (d: string) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);
const startDate = v.pipe(v.string("a date"), v.isoDate("a date YYYY-MM-DD"), v.check(isRealDate, "a date that exists"));
const TIME = "a time of day such as 09:30:00Z";
const timeOfDay = v.pipe(v.string(TIME), v.regex(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/, TIME));
const constraint = v.union(
  [
    v.strictObject({ start_date: startDate, type: v.optional(v.literal("start_date")) }),
    v.strictObject({ start_time: timeOfDay, end_time: timeOfDay, type: v.optional(v.literal("time_of_date")) }),
  ],
  "a constraint: { start_date } or { start_time, end_time }",
);
const conditional = v.object({ constraint: v.optional(constraint), prices: modelPrice }, "{ constraint, prices }");

const compiles = (re: string) => {
  try {
    new RegExp(re);
    return true;
  } catch {
    return false;
  }
};
type Match = { [clause: string]: string | Match[] };
const MATCH = "a match clause: one of equals, starts_with, ends_with, contains, regex, or, and";
const match: v.GenericSchema<Match> = v.lazy(() =>
  v.union(
    [
      ...(["equals", "starts_with", "ends_with", "contains"] as const).map((clause) => v.strictObject({ [clause]: v.string() })),
      v.strictObject({ regex: v.pipe(v.string(), v.check(compiles, "a valid regular expression")) }),
      v.strictObject({ or: v.array(match) }),
      v.strictObject({ and: v.array(match) }),
    ],
    MATCH,
  ),
);

const id = v.pipe(v.string("an id"), v.minLength(1, "a non-empty id"));
const model = v.looseObject({
  id,
  match,
  prices: v.union([v.pipe(v.array(conditional), v.minLength(1, "at least one price entry")), modelPrice], "a table of prices, or a list of { constraint, prices }"),
  name: v.optional(v.string("a name")),
  deprecated: v.optional(v.boolean("true or false")),
});
const provider = v.looseObject({
  id,
  name: v.string("a name"),
  api_pattern: v.string("a pattern"),
  models: v.array(model, "a list of models"),
  model_match: v.optional(match),
  provider_match: v.optional(match),
  fallback_model_providers: v.optional(v.array(v.string(), "a list of provider ids")),
});
const providers = v.array(provider, "a list of providers (genai-prices' data.json)");

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return `an object with ${Object.keys(value).slice(0, 4).join(", ") || "no keys"}`;
  const s = JSON.stringify(value);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

type PathItem = NonNullable<v.BaseIssue<unknown>["path"]>[number];

/** `[2 "openai"].models[40 "gpt-5"].prices.input_mtok`: where an issue is, with the ids met on the way. */
function where(path: readonly PathItem[]): string {
  let out = "";
  for (const item of path) {
    const key = item.key as string | number;
    const named = item.value as { id?: unknown } | null;
    const label = typeof named === "object" && named !== null && typeof named.id === "string" ? ` ${JSON.stringify(named.id)}` : "";
    out += typeof key === "number" ? `[${key}${label}]` : `.${key}`;
  }
  return out.replace(/^\./, "") || "the file";
}

/**
 * A union's issue carries each branch's, with paths relative to the union's value: the branch
 * that got furthest into the value says most.
 */
function deepest(issue: v.BaseIssue<unknown>, above: readonly PathItem[] = []): { issue: v.BaseIssue<unknown>; path: PathItem[] } {
  const path = [...above, ...(issue.path ?? [])];
  let best = { issue, path };
  for (const sub of issue.issues ?? []) {
    const d = deepest(sub, path);
    if (d.path.length > best.path.length) best = d;
  }
  return best;
}

/** Checks parsed JSON against the shape; the first problem as "path: expected X, got Y". */
export function checkProviders(raw: unknown): Checked<Provider[]> {
  const parsed = v.safeParse(providers, raw);
  if (parsed.success) return { ok: true, value: parsed.output as unknown as Provider[] };
  const { issue, path } = deepest(parsed.issues[0]);
  return { ok: false, message: `${where(path)}: expected ${issue.message}, got ${describe(issue.input)}` };
}
