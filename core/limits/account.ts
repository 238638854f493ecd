// Which account a request spends: the credential it carries, and a salted fingerprint of it that
// is safe to store. The credential itself goes nowhere but accountFingerprint.
// Where each client puts it:
//   Anthropic: `x-api-key` (anthropic-sdk-typescript src/client.ts apiKeyAuth) or
//     `authorization: Bearer` (its bearerAuth; Claude Code's OAuth token; the installed
//     @anthropic-ai/sdk 1.12 sends even API keys this way);
//   OpenAI: `authorization: Bearer` (openai-node src/client.ts);
//   ChatGPT (Codex): `authorization: Bearer` plus `ChatGPT-Account-ID`
//     (codex-rs/codex-api/src/auth.rs). The access token is refreshed, the account id is not, so
//     the account id is preferred;
//   Google: `x-goog-api-key` (@google/genai), `?key=` on the URL, or `authorization: Bearer`
//     (gemini-cli's OAuth to cloudcode-pa).

import { createHmac } from "node:crypto";
import type { RawHeaders } from "../http/types.ts";
import type { ProviderId } from "../usage/types.ts";
import { text, wellFormed } from "./_fields.ts";

export interface Credential {
  /** Where it was found. */
  source: "x-api-key" | "bearer" | "chatgpt-account-id" | "x-goog-api-key" | "query-key";
  secret: string;
}

/** Fingerprints already made, by salt and secret: a client sends the same credential on every request. */
const FINGERPRINTS = new Map<string, Map<string, string>>();
const FINGERPRINTS_MAX = 64;

/** HMAC-SHA256 of the secret keyed by the salt, hex, first 16 characters. */
export function accountFingerprint(secret: string, salt: string): string {
  let bySecret = FINGERPRINTS.get(salt);
  const known = bySecret?.get(secret);
  if (known !== undefined) return known;
  const fingerprint = createHmac("sha256", salt).update(secret).digest("hex").slice(0, 16);
  if (!bySecret || bySecret.size >= FINGERPRINTS_MAX) {
    // A bounded memo: a new salt, or too many secrets, starts it over.
    FINGERPRINTS.clear();
    bySecret = new Map();
    FINGERPRINTS.set(salt, bySecret);
  }
  bySecret.set(secret, fingerprint);
  return fingerprint;
}

/** `target`: the request target (path and query), where Google's `?key=` rides. */
export function credentialOf(provider: ProviderId, requestHeaders: RawHeaders, target = ""): Credential | null {
  const headers = wellFormed(requestHeaders);
  const header = (name: string, source: Credential["source"]): Credential | null => {
    const secret = text(headers, name);
    return secret === null ? null : { source, secret };
  };
  const bearer = (): Credential | null => {
    const m = /^Bearer\s+(\S+)$/i.exec(text(headers, "authorization") ?? "");
    return m ? { source: "bearer", secret: m[1]! } : null;
  };
  switch (provider) {
    case "anthropic":
      return header("x-api-key", "x-api-key") ?? bearer();
    case "chatgpt":
      return header("chatgpt-account-id", "chatgpt-account-id") ?? bearer();
    case "google":
    case "google-cloudcode":
      return header("x-goog-api-key", "x-goog-api-key") ?? queryKey(target) ?? bearer();
    default:
      return bearer();
  }
}

function queryKey(target: string): Credential | null {
  const at = typeof target === "string" ? target.indexOf("?") : -1;
  if (at === -1) return null;
  const key = new URLSearchParams(target.slice(at + 1).split("#")[0]).get("key")?.trim();
  return key ? { source: "query-key", secret: key } : null;
}
