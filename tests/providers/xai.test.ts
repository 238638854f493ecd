import { describe, expect, test } from "bun:test";
import { fixtureBytes, fixtureSuite, replay, replayText, tokens, type Exchange } from "./_harness.ts";
import { casesFor } from "./fixtures/cases.ts";

const xai: Exchange = {
  host: "api.x.ai",
  method: "POST",
  target: "/v1/chat/completions",
  requestBody: { model: "grok-4", messages: [] },
  status: 200,
  responseHeaders: [["content-type", "application/json"]],
};

describe("xai fixtures", () => fixtureSuite(casesFor("xai")));

describe("api.x.ai", () => {
  test("responses reuse the OpenAI reader", () => {
    const result = replay({ ...xai, target: "/v1/responses", responseHeaders: [["content-type", "text/event-stream"]] }, { chunks: [fixtureBytes("openai-responses-stream.sse")] });
    expect(result).toMatchObject({ provider: "xai", endpoint: "responses", tokens: tokens({ input: 37, output: 11 }), tokensComplete: true });
  });

  test("messages streams reuse the Anthropic reader", () => {
    const result = replay({ ...xai, target: "/v1/messages", responseHeaders: [["content-type", "text/event-stream"]] }, { chunks: [fixtureBytes("anthropic-stream.sse")] });
    expect(result).toMatchObject({ provider: "xai", endpoint: "messages", tokens: tokens({ input: 472, output: 187, cacheRead: 12032, cacheWrite5m: 3150 }) });
  });

  test("a 429 with xAI's flat error body: typed by status, message kept", () => {
    const body = JSON.stringify({ code: "Some resource has been exhausted", error: "Your team has either used all available credits or reached its monthly spending limit." });
    expect(replayText({ ...xai, status: 429 }, body)).toMatchObject({
      errorType: "http_429",
      tokensComplete: true,
      note: "HTTP 429: Your team has either used all available credits or reached its monthly spending limit.",
    });
  });

  test("a stream cut by the connection before its usage chunk", () => {
    const fixture = fixtureBytes("xai-chat-stream.sse");
    const result = replay({ ...xai, responseHeaders: [["content-type", "text/event-stream"]] }, { chunks: [fixture.subarray(0, fixture.length - 300)], complete: false });
    expect(result).toMatchObject({ model: "grok-4-0709", tokensComplete: false, tokens: tokens({}) });
  });
});
