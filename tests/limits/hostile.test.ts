import { describe, expect, test } from "bun:test";
import type { RawHeaders } from "../../core/http/types.ts";
import { readLimits } from "../../core/limits/index.ts";
import type { LimitObservation } from "../../core/limits/types.ts";
import type { ProviderId } from "../../core/usage/types.ts";

// Every reader must take anything a server (or a broken capture) sends without throwing, and
// answer only finite numbers or nulls.

const NAMES = [
  "anthropic-ratelimit-requests-limit", "anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-input-tokens-reset",
  "anthropic-priority-output-tokens-limit", "anthropic-ratelimit-unified-status", "anthropic-ratelimit-unified-reset",
  "anthropic-ratelimit-unified-5h-utilization", "anthropic-ratelimit-unified-7d-reset", "anthropic-ratelimit-unified-overage-status",
  "anthropic-ratelimit-unified-7d-surpassed-threshold", "x-ratelimit-limit-requests", "x-ratelimit-reset-tokens",
  "x-codex-primary-used-percent", "x-codex-primary-window-minutes", "x-codex-secondary-reset-at",
  "x-codex-primary-reset-after-seconds", "x-codex-credits-has-credits", "x-codex-credits-unlimited", "x-codex-credits-balance",
  "retry-after", "retry-after-ms",
];
const VALUES = ["", " ", "NaN", "Infinity", "-1", "1e400", "0x1f", "12%", "1,2", "\u0000", "💥", "9".repeat(400), "1h-2m", "true", "2025-02-30T25:61:61Z", "Wed, 99 Foo 2015 07:28:00 GMT", "0.5", "1704069000"];
const PROVIDERS: ProviderId[] = ["anthropic", "openai", "chatgpt", "google", "google-cloudcode", "xai"];

function rng(seed: number) {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

function sane(o: LimitObservation) {
  for (const n of [o.utilization, o.limit, o.remaining, o.resetsAt, o.windowMinutes]) if (n !== null) expect(Number.isFinite(n)).toBe(true);
  if (o.utilization !== null) expect(o.utilization).toBeGreaterThanOrEqual(0);
  for (const v of Object.values(o.extra ?? {})) expect(v.length).toBeLessThanOrEqual(200);
}

test("random junk in every known header, for every provider, never throws", () => {
  const next = rng(7);
  let seen = 0;
  for (let round = 0; round < 300; round++) {
    const headers: Array<[string, string]> = NAMES.filter(() => next() < 0.6).map((n) => [next() < 0.5 ? n.toUpperCase() : n, VALUES[Math.floor(next() * VALUES.length)]!]);
    for (const p of PROVIDERS) {
      const obs = readLimits(p, headers, 1_704_060_000_000);
      obs.forEach(sane);
      seen += obs.length;
    }
  }
  expect(seen).toBeGreaterThan(0);
});

test("entries that are not pairs of strings are skipped", () => {
  const junk = [null, "x-ratelimit-limit-requests: 5", ["x-ratelimit-limit-requests"], [5, 6], ["x-ratelimit-limit-requests", 5], ["x-ratelimit-limit-requests", "5"]] as unknown as RawHeaders;
  expect(readLimits("openai", junk, 0).map((o) => [o.window, o.limit])).toEqual([["requests", 5]]);
  expect(readLimits("anthropic", null as unknown as RawHeaders, 0)).toEqual([]);
});

describe("dispatch", () => {
  const mixed: RawHeaders = [
    ["anthropic-ratelimit-requests-limit", "50"],
    ["x-ratelimit-limit-requests", "60"],
    ["x-codex-primary-used-percent", "70"],
  ];

  test("each provider reads only its own family", () => {
    expect(readLimits("anthropic", mixed, 0).map((o) => [o.provider, o.window, o.limit])).toEqual([["anthropic", "requests", 50]]);
    expect(readLimits("openai", mixed, 0).map((o) => [o.provider, o.window, o.limit])).toEqual([["openai", "requests", 60]]);
    expect(readLimits("chatgpt", mixed, 0).map((o) => [o.provider, o.window, o.utilization])).toEqual([["chatgpt", "primary", 0.7]]);
  });

  // Google documents no limit headers (its quota errors are in the 429 body); xAI has no reader.
  test.each(["google", "google-cloudcode", "xai"] as const)("%s has no reader", (p) => {
    expect(readLimits(p, [...mixed, ["retry-after", "5"]], 0)).toEqual([]);
  });
});
