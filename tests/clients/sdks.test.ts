// The official SDKs from npm (openai, @anthropic-ai/sdk, @google/genai) in a Node child process,
// through the edge with undici's ProxyAgent: each call, streamed and not, must leave a row with
// exactly the tokens the fake provider sent, and the SDK must have parsed the same usage.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { TokenCounts } from "../../core/usage/types.ts";
import { STARTUP_HOOK_MS } from "../harness/meter.ts";
import { type CaptureEnv, type Row, rowTokens, startCapture } from "../capture-e2e/_meter.ts";
import { fixtureCase, serveFixtures } from "../capture-e2e/_serve.ts";

type Usage = Record<string, number | null | undefined | Record<string, number>>;

interface SdkCase {
  sdk: "openai" | "anthropic" | "genai";
  mode: "json" | "stream";
  fixture: string;
  client: string;
  /** The SDK's own usage object, restated in our token kinds. */
  fromSdk(u: Usage): Partial<TokenCounts>;
}

const n = (v: unknown) => (typeof v === "number" ? v : 0);
const detail = (u: Usage, key: string, field: string) => n((u[key] as Record<string, number> | undefined)?.[field]);

// OpenAI counts cached tokens inside prompt_tokens; Gemini counts cached tokens inside the prompt,
// grounding's tool-use prompt beside it and thoughts outside the candidates; Anthropic reports
// each kind on its own.
const openaiUsage = (u: Usage) => ({ input: n(u.prompt_tokens) - detail(u, "prompt_tokens_details", "cached_tokens"), output: n(u.completion_tokens), cacheRead: detail(u, "prompt_tokens_details", "cached_tokens"), reasoning: detail(u, "completion_tokens_details", "reasoning_tokens") });
const anthropicUsage = (u: Usage) => ({ input: n(u.input_tokens), output: n(u.output_tokens), cacheRead: n(u.cache_read_input_tokens), cacheWrite5m: detail(u, "cache_creation", "ephemeral_5m_input_tokens"), cacheWrite1h: detail(u, "cache_creation", "ephemeral_1h_input_tokens") });
const genaiUsage = (u: Usage) => ({ input: n(u.promptTokenCount) + n(u.toolUsePromptTokenCount) - n(u.cachedContentTokenCount), output: n(u.candidatesTokenCount) + n(u.thoughtsTokenCount), cacheRead: n(u.cachedContentTokenCount), reasoning: n(u.thoughtsTokenCount) });

const CASES: SdkCase[] = [
  { sdk: "openai", mode: "json", fixture: "openai-chat.json", client: "openai-sdk", fromSdk: openaiUsage },
  { sdk: "openai", mode: "stream", fixture: "openai-chat-stream.sse", client: "openai-sdk", fromSdk: openaiUsage },
  { sdk: "anthropic", mode: "json", fixture: "anthropic-message.json", client: "anthropic-sdk", fromSdk: anthropicUsage },
  { sdk: "anthropic", mode: "stream", fixture: "anthropic-stream.sse", client: "anthropic-sdk", fromSdk: anthropicUsage },
  { sdk: "genai", mode: "json", fixture: "gemini-generate.json", client: "google-genai-sdk", fromSdk: genaiUsage },
  { sdk: "genai", mode: "stream", fixture: "gemini-stream.sse", client: "google-genai-sdk", fromSdk: genaiUsage },
];

let env: CaptureEnv;
beforeAll(async () => {
  env = await startCapture({ script: serveFixtures });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

describe("official SDKs through the edge", () => {
  for (const c of CASES) {
    test(`${c.sdk} ${c.mode === "json" ? "JSON" : "streaming"} (${c.fixture})`, async () => {
      const expected = fixtureCase(c.fixture).expected;
      const seen = new Set(env.rows().map((r) => r.id));
      const r = await env.run(["node", join(import.meta.dir, "_sdk-client.mjs"), c.sdk, c.mode, env.proxyUrl, c.fixture], { env: { NODE_EXTRA_CA_CERTS: env.ourCaPath } });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const sdk = JSON.parse(r.stdout) as { model: string; usage: Usage };
      expect(sdk.model).toBe(expected.model!);
      const row: Row = await env.waitRow((x) => !seen.has(x.id) && x.model === expected.model, `row for ${c.sdk} ${c.mode}`);
      expect(rowTokens(row)).toEqual(expected.tokens);
      // What the SDK handed its caller agrees with what we stored, kind by kind.
      const fromSdk = c.fromSdk(sdk.usage);
      expect(Object.fromEntries(Object.keys(fromSdk).map((k) => [k, rowTokens(row)[k as keyof TokenCounts]]))).toEqual(fromSdk);
      expect({ stream: row.stream, complete: row.tokens_complete, client: row.client, price: row.price_status }).toEqual({ stream: c.mode === "stream" ? 1 : 0, complete: 1, client: c.client, price: "priced" });
    });
  }
});
