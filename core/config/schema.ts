import * as v from "valibot";

// Every key, its type and its default. The file may omit anything; `halton-meter config`
// prints the result. Ports have no default here on purpose: an absent port is chosen by
// core/ports (with fallbacks), a present one is pinned and never silently replaced.

const port = v.pipe(v.number("a port number"), v.integer("a whole port number"), v.minValue(1, "a port from 1 to 65535"), v.maxValue(65535, "a port from 1 to 65535"));
const ms = (min: number, max: number, fallback: number) =>
  v.optional(v.pipe(v.number("milliseconds"), v.integer("whole milliseconds"), v.minValue(min, `at least ${min} ms`), v.maxValue(max, `at most ${max} ms`)), fallback);
const count = (min: number, max: number, fallback: number) =>
  v.optional(v.pipe(v.number("a number"), v.integer("a whole number"), v.minValue(min, `at least ${min}`), v.maxValue(max, `at most ${max}`)), fallback);
const hostname = v.pipe(v.string("a host name"), v.toLowerCase(), v.regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, "a host name such as api.example.com"));
const hostAddress = v.pipe(v.string("an address"), v.regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, "an address such as 127.0.0.1 or 127.0.0.1:8443"));
const usdPerMTok = v.optional(v.pipe(v.number("US dollars per million tokens"), v.minValue(0, "a price of 0 or more")));
const usdBudget = v.optional(v.pipe(v.number("an amount of US dollars"), v.finite("a finite amount of US dollars"), v.minValue(0.01, "a budget of at least 0.01 US dollars")));
const budgetKeys = { daily_usd: usdBudget, weekly_usd: usdBudget, monthly_usd: usdBudget };
// What core/mitm's projectFromProxyAuth and `halton-meter run --project` accept as a project name.
const projectName = v.pipe(v.string(), v.regex(/^[\w.@+-]{1,100}$/, "a project name of letters, digits, _ . @ + - (at most 100)"));
const projectsTable = "a table of project = { daily_usd = ..., weekly_usd = ..., monthly_usd = ... }";
const UNSAFE_KEYS = ["__proto__", "prototype", "constructor"];
const threshold = v.pipe(v.number("a fraction such as 0.8"), v.gtValue(0, "a fraction above 0 and at most 1 (0.8 means 80%)"), v.maxValue(1, "a fraction above 0 and at most 1 (0.8 means 80%)"));

export const DEFAULT_INTERCEPT_DOMAINS = ["anthropic.com", "openai.com", "chatgpt.com", "googleapis.com", "x.ai"];

export const configSchema = v.object({
  daemon: v.optional(
    v.object({
      edge_port: v.optional(port),
      internal_port: v.optional(port),
      api_port: v.optional(port),
      edge_health_ttl_ms: ms(50, 60_000, 1000),
      shutdown_grace_ms: ms(0, 120_000, 30_000),
      head_timeout_ms: ms(100, 600_000, 10_000),
      idle_timeout_ms: ms(1000, 3_600_000, 300_000),
      max_connections: count(1, 100_000, 1024),
      attribution_timeout_ms: ms(10, 10_000, 250),
    }),
    {},
  ),
  edge: v.optional(
    v.object({
      max_connections: count(1, 100_000, 1024),
      head_timeout_ms: ms(100, 600_000, 10_000),
      connect_timeout_ms: ms(100, 600_000, 10_000),
      chain_timeout_ms: ms(20, 5000, 150),
      probe_timeout_ms: ms(5, 1000, 50),
      shutdown_grace_ms: ms(0, 120_000, 10_000),
    }),
    {},
  ),
  capture: v.optional(
    v.object({
      extra_hosts: v.optional(v.array(hostname, "a list of host names"), []),
      body_capture: v.optional(v.boolean("true or false"), false),
      body_max_bytes: count(0, 64 * 1024 * 1024, 1024 * 1024),
      queue_max_rows: count(1, 1_000_000, 10_000),
    }),
    {},
  ),
  upstream: v.optional(
    v.object({
      proxy: v.optional(v.pipe(v.string("a URL"), v.regex(/^(|http:\/\/[^\s/]+(:\d{1,5})?\/?)$/, "an http:// proxy URL such as http://proxy.corp:3128")), ""),
      ca_file: v.optional(v.string("a file path"), ""),
      resolve: v.optional(v.record(hostname, hostAddress, "a table of host = \"address\""), {}),
      connect_timeout_ms: ms(100, 600_000, 10_000),
    }),
    {},
  ),
  tagging: v.optional(
    v.object({
      default_project: v.optional(v.string("a project name"), ""),
    }),
    {},
  ),
  pricing: v.optional(
    v.object({
      overrides: v.optional(
        v.record(
          v.string(),
          v.object({ input: usdPerMTok, output: usdPerMTok, cache_read: usdPerMTok, cache_write_5m: usdPerMTok, cache_write_1h: usdPerMTok }),
          "a table of model = { input = ..., output = ... }",
        ),
        {},
      ),
    }),
    {},
  ),
  tls: v.optional(
    v.object({
      intercept_domains: v.optional(v.pipe(v.array(hostname, "a list of domain names"), v.minLength(1, "at least one domain")), DEFAULT_INTERCEPT_DOMAINS),
      leaf_cache_size: count(1, 100_000, 512),
    }),
    {},
  ),
  log: v.optional(
    v.object({
      max_bytes: count(4096, 1024 * 1024 * 1024, 10 * 1024 * 1024),
      keep: count(0, 100, 3),
    }),
    {},
  ),
  // Spend budgets in US dollars (the day, the week from Monday and the calendar month, local time)
  // and alerts on the providers' limit windows. No budget is set and no window is watched unless
  // the file says so: notifications nobody asked for teach people to ignore the ones that matter.
  budgets: v.optional(
    v.object({
      ...budgetKeys,
      window_alerts: v.optional(
        v.pipe(v.array(threshold, "a list of fractions such as [0.8, 0.95]"), v.transform((list) => [...new Set(list)].sort((a, b) => a - b))),
        [],
      ),
      notify: v.optional(v.boolean("true or false"), true),
      projects: v.optional(
        v.pipe(
          v.unknown(),
          v.check((t) => !Array.isArray(t), projectsTable),
          // record() drops these keys without a word (its guard against prototype pollution).
          v.check((t) => !(t && typeof t === "object" && UNSAFE_KEYS.some((k) => Object.hasOwn(t, k))), "project names other than __proto__, prototype and constructor (they cannot be budgeted)"),
          v.record(
            projectName,
            // Strict: a misspelt key in a project's table would otherwise vanish with its budget.
            v.strictObject(budgetKeys, (issue) => (issue.expected === "never" ? "a budget key: daily_usd, weekly_usd or monthly_usd" : "a table such as { daily_usd = 5 }")),
            projectsTable,
          ),
        ),
        {},
      ),
    }),
    {},
  ),
});

export type Config = v.InferOutput<typeof configSchema>;

/** The keys each section knows; anything else in a known section is warned about and ignored. */
export const KNOWN_KEYS: Record<string, readonly string[]> = Object.fromEntries(
  Object.entries(configSchema.entries).map(([section, schema]) => {
    const inner = (schema as { wrapped: { entries: Record<string, unknown> } }).wrapped;
    return [section, Object.keys(inner.entries)];
  }),
);
