import { describe, expect, test } from "bun:test";
import type { RawHeaders } from "../../core/http/types.ts";
import { accountFingerprint, credentialOf } from "../../core/limits/account.ts";

describe("accountFingerprint", () => {
  // Expected values from Python's hmac.new(salt, secret, hashlib.sha256).hexdigest()[:16].
  test("HMAC-SHA256 keyed by the salt, 16 hex characters", () => {
    expect(accountFingerprint("sk-ant-api03-example", "halton-salt")).toBe("56040a5d68273446");
    expect(accountFingerprint("acct_123", "halton-salt")).toBe("0c9599ab534a3df3");
  });

  test("another salt or secret gives another fingerprint, which never shows the secret", () => {
    const a = accountFingerprint("acct_123", "halton-salt");
    expect(accountFingerprint("acct_123", "other-salt")).not.toBe(a);
    expect(accountFingerprint("acct_124", "halton-salt")).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("credentialOf", () => {
  const h = (...pairs: Array<[string, string]>): RawHeaders => pairs;

  test("Anthropic: x-api-key first, then a Bearer token (Claude Code's OAuth)", () => {
    expect(credentialOf("anthropic", h(["X-Api-Key", "sk-ant-api03-k"], ["authorization", "Bearer sk-ant-oat01-t"]))).toEqual({ source: "x-api-key", secret: "sk-ant-api03-k" });
    expect(credentialOf("anthropic", h(["Authorization", "Bearer sk-ant-oat01-t"]))).toEqual({ source: "bearer", secret: "sk-ant-oat01-t" });
  });

  test("OpenAI: the Bearer key", () => {
    expect(credentialOf("openai", h(["authorization", "bearer sk-proj-abc"]))).toEqual({ source: "bearer", secret: "sk-proj-abc" });
  });

  // codex-rs/codex-api/src/auth.rs sends both; the account id outlives the refreshed token.
  test("ChatGPT: ChatGPT-Account-ID before the token", () => {
    expect(credentialOf("chatgpt", h(["Authorization", "Bearer eyJ.token"], ["ChatGPT-Account-ID", "acct_123"]))).toEqual({ source: "chatgpt-account-id", secret: "acct_123" });
    expect(credentialOf("chatgpt", h(["Authorization", "Bearer eyJ.token"]))).toEqual({ source: "bearer", secret: "eyJ.token" });
  });

  test("Google: x-goog-api-key, then ?key=, then a Bearer token", () => {
    expect(credentialOf("google", h(["x-goog-api-key", "AIzaA"]), "/v1beta/models/m:generateContent?key=AIzaB")).toEqual({ source: "x-goog-api-key", secret: "AIzaA" });
    expect(credentialOf("google", h(), "/v1beta/models/m:streamGenerateContent?alt=sse&key=AIza%2BB#x")).toEqual({ source: "query-key", secret: "AIza+B" });
    expect(credentialOf("google-cloudcode", h(["authorization", "Bearer ya29.t"]), "/v1internal:generateContent")).toEqual({ source: "bearer", secret: "ya29.t" });
  });

  test("no credential, or one in another scheme, is null", () => {
    expect(credentialOf("openai", h(["authorization", "Basic dXNlcjpwYXNz"]))).toBeNull();
    expect(credentialOf("anthropic", h(["x-api-key", "   "], ["authorization", "Bearer"]))).toBeNull();
    expect(credentialOf("google", h(), "/v1beta/models?key=")).toBeNull();
    expect(credentialOf("xai", h())).toBeNull();
  });

  test("malformed header entries are ignored, not thrown on", () => {
    const junk = [["x-api-key"], [1, 2], null, "x-api-key: k", ["x-api-key", "real"]] as unknown as RawHeaders;
    expect(credentialOf("anthropic", junk)).toEqual({ source: "x-api-key", secret: "real" });
  });
});
