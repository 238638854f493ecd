// What a finished exchange says about its account: which one it spent (a salted fingerprint of
// its credential), the client's session, and the limit windows the provider reported with it,
// from the response head and from Codex's in-stream `codex.rate_limits` event.

import { headerValue } from "../http/headers.ts";
import { accountFingerprint, credentialOf, readCodexRateLimitEvent, readLimits } from "../limits/index.ts";
import { adapterFor } from "../providers/index.ts";
import type { LimitSampleRow } from "../store/limits.ts";
import type { ExchangeRecord } from "../usage/types.ts";

/**
 * The headers a client names its session by: Claude Code's `X-Claude-Code-Session-Id` (its
 * statusLine input's `session_id`), Codex's `session_id` (its conversation id,
 * codex-rs/codex-api/src/requests/headers.rs).
 */
const SESSION_HEADERS = ["x-claude-code-session-id", "session_id"] as const;
const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function sessionOf(rec: ExchangeRecord): string | null {
  for (const name of SESSION_HEADERS) {
    const value = headerValue(rec.requestHeaders, name)?.trim();
    if (value && SESSION_ID.test(value)) return value;
  }
  return null;
}

export interface AccountFacts {
  /** '' when the request carried no credential we know how to read. */
  account: string;
  limits: LimitSampleRow[];
}

export function accountFacts(rec: ExchangeRecord, salt: string): AccountFacts | null {
  const provider = adapterFor(rec.host)?.provider;
  if (!provider) return null;
  const credential = credentialOf(provider, rec.requestHeaders, rec.target);
  const account = credential ? accountFingerprint(credential.secret, salt) : "";
  const limits: LimitSampleRow[] = [];
  if (rec.responseHeaders) {
    const at = rec.firstByteAt ?? rec.endedAt;
    for (const o of readLimits(provider, rec.responseHeaders, at)) limits.push({ ...o, observedAt: at });
  }
  if (rec.rateLimits) {
    const at = rec.rateLimitsAt ?? rec.endedAt;
    for (const o of readCodexRateLimitEvent(rec.rateLimits, at)) limits.push({ ...o, observedAt: at });
  }
  return { account, limits };
}
