// Run by Node, not Bun: one call with an official SDK through an HTTP proxy (undici's ProxyAgent
// as the fetch dispatcher), printing the usage the SDK itself parsed as one JSON line.
// argv: <openai|anthropic|genai> <json|stream> <proxy URL> <fixture file>
// Our CA comes from NODE_EXTRA_CA_CERTS, which Node's TLS (and so undici) reads at start-up.

import { ProxyAgent, fetch as undiciFetch } from "undici";

const [sdk, mode, proxyUrl, fixture] = process.argv.slice(2);
const dispatcher = new ProxyAgent(proxyUrl);
const proxiedFetch = (url, init = {}) => undiciFetch(url, { ...init, dispatcher });
const headers = { "x-fixture": fixture };
const stream = mode === "stream";

// Each SDK is imported only when used: loading all three costs a second per run.
async function openai() {
  const { default: OpenAI } = await import("openai");
  const client = new OpenAI({ apiKey: "sk-test-openai-0000000000000000", fetch: proxiedFetch, defaultHeaders: headers, maxRetries: 0 });
  const messages = [{ role: "user", content: "hi" }];
  if (!stream) {
    const r = await client.chat.completions.create({ model: "o4-mini", messages });
    return { model: r.model, usage: r.usage };
  }
  let last = null;
  let model = null;
  const s = await client.chat.completions.create({ model: "gpt-4.1", messages, stream: true, stream_options: { include_usage: true } });
  for await (const chunk of s) {
    model = chunk.model ?? model;
    if (chunk.usage) last = chunk.usage;
  }
  return { model, usage: last };
}

async function anthropic() {
  const { default: Anthropic } = await import("@anthropic-ai/sdk");
  const client = new Anthropic({ apiKey: "sk-ant-test-000000000000000000", fetch: proxiedFetch, defaultHeaders: headers, maxRetries: 0 });
  const params = { model: "claude-sonnet-4-6", max_tokens: 1024, messages: [{ role: "user", content: "hi" }] };
  const r = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
  return { model: r.model, usage: r.usage };
}

async function genai() {
  const { GoogleGenAI } = await import("@google/genai");
  const client = new GoogleGenAI({ apiKey: "AIzaTest-000000000000000000000000000000", httpOptions: { fetch: proxiedFetch, headers } });
  if (!stream) {
    const r = await client.models.generateContent({ model: "gemini-2.5-pro", contents: "Who won Euro 2024?" });
    return { model: r.modelVersion, usage: r.usageMetadata };
  }
  let last = null;
  let model = null;
  for await (const chunk of await client.models.generateContentStream({ model: "gemini-2.5-flash", contents: "A haiku about autumn" })) {
    model = chunk.modelVersion ?? model;
    if (chunk.usageMetadata) last = chunk.usageMetadata;
  }
  return { model, usage: last };
}

const run = { openai, anthropic, genai }[sdk];
try {
  process.stdout.write(`${JSON.stringify(await run())}\n`);
} finally {
  await dispatcher.close();
}
