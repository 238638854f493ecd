// Which hosts are providers, and which endpoint each method and path is.

import { describe, expect, test } from "bun:test";
import type { ProviderId } from "../../core/usage/types.ts";
import { interceptedHosts } from "../../core/intercept.ts";
import { PROVIDER_HOSTS } from "../../core/providers/hosts.ts";
import { ADAPTERS, adapterFor, createObserver } from "../../core/providers/index.ts";
import { headerValue } from "../../core/http/headers.ts";
import { normalizeHost, targetPath } from "../../core/providers/_headers.ts";
import { replayText } from "./_harness.ts";

describe("adapterFor", () => {
  test("each provider host, any case, with or without :443 or a trailing dot", () => {
    const hosts: Array<[string, ProviderId]> = [
      ["api.anthropic.com", "anthropic"],
      ["API.Anthropic.COM:443", "anthropic"],
      ["api.openai.com.", "openai"],
      ["chatgpt.com", "chatgpt"],
      ["generativelanguage.googleapis.com:443", "google"],
      ["cloudcode-pa.googleapis.com", "google-cloudcode"],
      ["api.x.ai", "xai"],
    ];
    expect(hosts.map(([host]) => adapterFor(host)?.provider ?? null)).toEqual(hosts.map(([, provider]) => provider));
  });

  test("the host list is the adapters' hosts: one each way, and the edge and the daemon intercept exactly those", () => {
    expect(ADAPTERS.flatMap((a) => a.hosts).sort()).toEqual([...PROVIDER_HOSTS].sort());
    for (const host of PROVIDER_HOSTS) expect(adapterFor(host)).not.toBeNull();
    expect([...interceptedHosts()].sort()).toEqual([...PROVIDER_HOSTS].sort());
    expect(interceptedHosts(["LLM.Internal.Example.com."]).has("llm.internal.example.com")).toBe(true);
  });

  test("other hosts and other ports are not providers", () => {
    for (const host of ["anthropic.com", "api.anthropic.com:8443", "example.com", "api.openai.com.evil.test", ""]) {
      expect(adapterFor(host)).toBeNull();
    }
    expect(createObserver({ host: "example.com", method: "GET", target: "/", requestHeaders: [] })).toBeNull();
  });
});

describe("endpoint matching", () => {
  const table: Array<[host: string, method: string, target: string, endpoint: string, metered: boolean]> = [
    ["api.anthropic.com", "POST", "/v1/messages?beta=true", "messages", true],
    ["api.anthropic.com", "post", "/v1/messages/count_tokens", "count_tokens", true],
    ["api.anthropic.com", "GET", "/v1/messages", "other", false],
    ["api.anthropic.com", "GET", "/v1/models", "other", false],
    ["api.anthropic.com", "POST", "https://api.anthropic.com/v1/messages", "messages", true],
    ["api.openai.com", "POST", "/v1/chat/completions", "chat.completions", true],
    ["api.openai.com", "POST", "/v1/responses", "responses", true],
    ["api.openai.com", "GET", "/v1/responses/resp_123", "other", false],
    ["api.openai.com", "POST", "/v1/embeddings", "embeddings", true],
    ["api.openai.com", "POST", "/v1/audio/transcriptions", "other", false],
    ["chatgpt.com", "POST", "/backend-api/codex/responses", "responses", true],
    ["generativelanguage.googleapis.com", "POST", "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", "streamGenerateContent", true],
    ["generativelanguage.googleapis.com", "POST", "/v1beta/models/gemini-embedding-001:batchEmbedContents", "batchEmbedContents", true],
    ["generativelanguage.googleapis.com", "GET", "/v1beta/models", "other", false],
    ["cloudcode-pa.googleapis.com", "POST", "/v1internal:streamGenerateContent?alt=sse", "streamGenerateContent", true],
    ["api.x.ai", "POST", "/v1/chat/completions", "chat.completions", true],
    ["api.x.ai", "POST", "/v1/messages", "messages", true],
    ["api.x.ai", "POST", "/v1/embeddings", "other", false],
  ];
  for (const [host, method, target, endpoint, metered] of table) {
    test(`${method} ${host}${target} -> ${endpoint}`, () => {
      const result = replayText({ host, method, target, status: 200, responseHeaders: [] }, "");
      expect([result.endpoint, result.metered]).toEqual([endpoint, metered]);
    });
  }

  test("an unknown path is observed with its error typed from any provider's shape", () => {
    const body = '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}';
    const result = replayText({ host: "api.anthropic.com", method: "GET", target: "/v1/models", status: 401, responseHeaders: [] }, body);
    expect(result).toMatchObject({ endpoint: "other", metered: false, errorType: "authentication_error", note: "HTTP 401: invalid x-api-key" });
  });
});

describe("header and target helpers", () => {
  test("header lookup is case-insensitive and joins repeats", () => {
    const headers = [["Content-Type", "a"], ["x", "1"], ["content-type", "b"]] as const;
    expect(headerValue(headers, "CONTENT-TYPE")).toBe("a, b");
    expect(headerValue(headers, "missing")).toBeNull();
  });

  test("targets: path without query or fragment, absolute form", () => {
    expect(targetPath("/v1/messages?beta=true#x")).toBe("/v1/messages");
    expect(targetPath("https://api.x.ai:443/v1/messages?a=1")).toBe("/v1/messages");
    expect(normalizeHost(" ChatGPT.com:443 ")).toBe("chatgpt.com");
  });
});
