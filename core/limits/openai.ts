// OpenAI's API-key limits as response headers: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`,
// the limit and remaining counts, the reset how long until the window refills as a Go duration
// ("1s", "6m0s", "20ms"). Captures also show `-tokens_usage_based`; like any other tail it is kept
// as a window of its own name.
//   https://platform.openai.com/docs/guides/rate-limits ("Rate limits in headers")
//   https://community.openai.com/t/how-to-get-rate-limit-reset-time-for-response-api/1268905 (a capture)
// `retry-after-ms`, then `retry-after`, is what openai-node's retry loop reads (src/client.ts,
// retryRequest); installed here as node_modules/openai/client.mjs.

import type { RawHeaders } from "../http/types.ts";
import { readCounters, readRetryAfter, type CounterFamily, type CounterField } from "./_counters.ts";
import { goDurationMs, later, wellFormed } from "./_fields.ts";
import type { LimitObservation } from "./types.ts";

const PREFIX = "x-ratelimit-";
const FIELD = /^(limit|remaining|reset)-(.+)$/;

const OPENAI: CounterFamily = {
  prefix: PREFIX,
  split(name) {
    const m = FIELD.exec(name.slice(PREFIX.length));
    return m ? { window: m[2]!, field: m[1] as CounterField } : null;
  },
  reset: (value, atMs) => later(atMs, goDurationMs(value)),
};

export function readOpenAILimits(headers: RawHeaders, atMs: number): LimitObservation[] {
  const clean = wellFormed(headers);
  return [...readCounters("openai", OPENAI, clean, atMs), ...readRetryAfter("openai", clean, atMs)];
}
