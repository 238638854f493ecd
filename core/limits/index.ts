// Reading what providers say about an account's limits, one reader per provider: pure functions of
// a response's headers and its time, answering observations (never throwing; [] when nothing).
// Google (generativelanguage, cloudcode-pa) documents no limit headers: its quota errors are in the
// 429 body (google.rpc.RetryInfo / QuotaFailure), so it has no reader here; neither has xAI yet.

import type { RawHeaders } from "../http/types.ts";
import type { ProviderId } from "../usage/types.ts";
import { readAnthropicLimits } from "./anthropic.ts";
import { readCodexLimits } from "./codex.ts";
import { readOpenAILimits } from "./openai.ts";
import type { LimitObservation } from "./types.ts";

export type { LimitKind, LimitObservation } from "./types.ts";
export { readAnthropicLimits } from "./anthropic.ts";
export { readOpenAILimits } from "./openai.ts";
export { readCodexLimits } from "./codex.ts";
export { readCodexRateLimitEvent } from "./codex-event.ts";
export { accountFingerprint, credentialOf, type Credential } from "./account.ts";

/** `atMs`: when the response head arrived (epoch ms), against which relative resets are read. */
export function readLimits(provider: ProviderId, headers: RawHeaders, atMs: number): LimitObservation[] {
  switch (provider) {
    case "anthropic":
      return readAnthropicLimits(headers, atMs);
    case "openai":
      return readOpenAILimits(headers, atMs);
    case "chatgpt":
      return readCodexLimits(headers, atMs);
    default:
      return [];
  }
}
