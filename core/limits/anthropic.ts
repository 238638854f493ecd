// Anthropic's limits as response headers. Three families, all read from every response:
//
// API keys: `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`
// (counts; the token "remaining" rounded to the nearest thousand; reset an RFC 3339 time) and, for
// Priority Tier commitments, `anthropic-priority-{input,output}-tokens-{limit,remaining,reset}`,
// read here as windows "priority-input-tokens" / "priority-output-tokens". `retry-after` is seconds.
//   https://docs.anthropic.com/en/api/rate-limits ("Response headers")
//   https://platform.claude.com/docs/en/api/service-tiers (the priority headers)
// Subscriptions (Claude Code's OAuth): `anthropic-ratelimit-unified-*`, see anthropic-unified.ts.
// `retry-after-ms`, then `retry-after`, is what anthropic-sdk-typescript's retry loop reads
// (src/client.ts, retryRequest); installed here as node_modules/@anthropic-ai/sdk/client.mjs.

import type { RawHeaders } from "../http/types.ts";
import { readCounters, readRetryAfter, type CounterFamily, type CounterField } from "./_counters.ts";
import { rfc3339Ms, wellFormed } from "./_fields.ts";
import { readAnthropicUnified } from "./anthropic-unified.ts";
import type { LimitObservation } from "./types.ts";

const FIELD = /^(.+)-(limit|remaining|reset)$/;

function family(prefix: string, windowPrefix: string): CounterFamily {
  return {
    prefix,
    split(name) {
      const m = FIELD.exec(name.slice(prefix.length));
      if (!m) return null;
      const window = m[1]!;
      // The subscription family shares the prefix; anthropic-unified.ts reads it.
      if (window === "unified" || window.startsWith("unified-")) return null;
      return { window: windowPrefix + window, field: m[2] as CounterField };
    },
    reset: (value) => rfc3339Ms(value),
  };
}

const RATE_LIMIT = family("anthropic-ratelimit-", "");
const PRIORITY = family("anthropic-priority-", "priority-");

export function readAnthropicLimits(headers: RawHeaders, atMs: number): LimitObservation[] {
  const clean = wellFormed(headers);
  return [
    ...readCounters("anthropic", RATE_LIMIT, clean, atMs),
    ...readCounters("anthropic", PRIORITY, clean, atMs),
    ...readAnthropicUnified(clean),
    ...readRetryAfter("anthropic", clean, atMs),
  ];
}
