import { describe, expect, test } from "bun:test";
import { fixtureBytes, fixtureSuite, replay, replayText, tokens, type Exchange } from "./_harness.ts";
import { casesFor } from "./fixtures/cases.ts";

const chat: Exchange = {
  host: "api.openai.com",
  method: "POST",
  target: "/v1/chat/completions",
  requestBody: { model: "gpt-4.1", stream: true, stream_options: { include_usage: true }, messages: [] },
  status: 200,
  responseHeaders: [["content-type", "text/event-stream"]],
};
const responses: Exchange = { ...chat, target: "/v1/responses", requestBody: { model: "gpt-5", input: "hi" }, responseHeaders: [["content-type", "application/json"]] };

describe("openai fixtures", () => fixtureSuite(casesFor("openai")));

describe("openai chat streams", () => {
  const fixture = new TextDecoder().decode(fixtureBytes("openai-chat-stream.sse"));

  test("include_usage asked for, stream ended before the usage chunk", () => {
    const result = replayText(chat, fixture.slice(0, fixture.indexOf('data: {"id":"chatcmpl-C3pGtfjHv8qXfQmZyB3kN2aVbW1xE","object":"chat.completion.chunk","created":1754921234,"model":"gpt-4.1-2025-04-14","service_tier":"default","system_fingerprint":"fp_b3f1157249","choices":[],')));
    expect(result).toMatchObject({ model: "gpt-4.1-2025-04-14", tokensComplete: false, note: "the stream ended without its usage chunk" });
  });

  test("an error chunk inside a 200 stream", () => {
    const body = 'data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}\n\n';
    expect(replayText(chat, body)).toMatchObject({ errorType: "server_error", tokensComplete: false, note: expect.stringMatching(/^stream error: server_error/) });
  });

  test("legacy completions use the chat reader", () => {
    const body = JSON.stringify({ object: "text_completion", model: "gpt-3.5-turbo-instruct", usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } });
    const result = replayText({ ...chat, target: "/v1/completions", responseHeaders: [["content-type", "application/json"]] }, body);
    expect(result).toMatchObject({ endpoint: "completions", tokens: tokens({ input: 5, output: 7 }), tokensComplete: true });
  });
});

describe("openai responses", () => {
  test("a background response still queued: metered, usage not here", () => {
    const body = JSON.stringify({ id: "resp_1", object: "response", status: "queued", background: true, model: "o3-pro-2025-06-10", usage: null });
    expect(replayText(responses, body)).toMatchObject({
      model: "o3-pro-2025-06-10",
      tokensComplete: false,
      note: "response still queued (background): its usage is reported when it completes",
    });
  });

  test("an `error` event in the stream", () => {
    const body = 'event: error\ndata: {"type":"error","code":"ERR_SOMETHING","message":"Something went wrong","param":null,"sequence_number":1}\n\n';
    const result = replayText({ ...responses, responseHeaders: [["content-type", "text/event-stream"]] }, body);
    expect(result).toMatchObject({ errorType: "ERR_SOMETHING", tokensComplete: false, stream: true });
  });

  test("compact returns usage like a response", () => {
    const body = JSON.stringify({ id: "cmp_1", object: "response.compaction", model: "gpt-5.1-codex", output: [], usage: { input_tokens: 900, input_tokens_details: { cached_tokens: 0 }, output_tokens: 120, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 1020 } });
    const result = replayText({ ...responses, target: "/v1/responses/compact" }, body);
    expect(result).toMatchObject({ endpoint: "responses.compact", tokens: tokens({ input: 900, output: 120 }), tokensComplete: true });
  });
});

describe("openai embeddings", () => {
  test("a 24 MB body in 64 KiB chunks: usage at the end is found, nothing else is kept", () => {
    const vector = Array.from({ length: 3072 }, (_, i) => Math.sin(i) / 7).join(",");
    const item = (i: number) => `{"object":"embedding","index":${i},"embedding":[${vector}]}`;
    const body = `{"object":"list","data":[${Array.from({ length: 400 }, (_, i) => item(i)).join(",")}],"model":"text-embedding-3-large","usage":{"prompt_tokens":8123,"total_tokens":8123}}`;
    const bytes = new TextEncoder().encode(body);
    expect(bytes.length).toBeGreaterThan(20_000_000);
    const chunks = [];
    for (let i = 0; i < bytes.length; i += 65536) chunks.push(bytes.subarray(i, i + 65536));
    const result = replay({ ...responses, target: "/v1/embeddings" }, { chunks });
    expect(result).toMatchObject({ model: "text-embedding-3-large", tokens: tokens({ input: 8123 }), tokensComplete: true, note: null });
  });
});

describe("openai cache writes", () => {
  const json = { ...responses, responseHeaders: [["content-type", "application/json"]] as [string, string][] };
  const body = (details: Record<string, unknown>) =>
    JSON.stringify({ object: "response", status: "completed", model: "gpt-5.6-sol", usage: { input_tokens: 1000, input_tokens_details: details, output_tokens: 10, total_tokens: 1010 } });

  test("reads and writes that claim more than the input are clamped: the stored parts still add up to input_tokens", () => {
    const result = replayText(json, body({ cached_tokens: 700, cache_write_tokens: 600 }));
    expect(result.tokens).toEqual(tokens({ input: 0, output: 10, cacheRead: 700, cacheWrite5m: 300 }));
    expect(result.tokens.input + result.tokens.cacheRead + result.tokens.cacheWrite5m).toBe(1000);
  });

  test("a cache_write_tokens that is not a count is named in the note and counted as 0", () => {
    const result = replayText(json, body({ cached_tokens: 100, cache_write_tokens: "900" }));
    expect(result.tokens).toEqual(tokens({ input: 900, output: 10, cacheRead: 100 }));
    expect(result.note).toContain("usage cache_write_tokens not a token count");
  });

  test("Codex on chatgpt.com reads the same field", () => {
    const result = replayText({ ...json, host: "chatgpt.com", target: "/backend-api/codex/responses" }, body({ cached_tokens: 0, cache_write_tokens: 512 }));
    expect(result).toMatchObject({ provider: "chatgpt", tokens: tokens({ input: 488, output: 10, cacheWrite5m: 512 }) });
  });
});
