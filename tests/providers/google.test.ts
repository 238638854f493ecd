import { describe, expect, test } from "bun:test";
import { fixtureBytes, fixtureSuite, replayText, tokens, type Exchange } from "./_harness.ts";
import { casesFor } from "./fixtures/cases.ts";

const stream: Exchange = {
  host: "generativelanguage.googleapis.com",
  method: "POST",
  target: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
  requestBody: { contents: [] },
  status: 200,
  responseHeaders: [["content-type", "text/event-stream"]],
};

describe("google fixtures", () => fixtureSuite(casesFor("google")));

describe("gemini streams", () => {
  const fixture = new TextDecoder().decode(fixtureBytes("gemini-stream.sse"));
  const withoutLast = fixture.slice(0, fixture.lastIndexOf("data: "));

  test("ended before the finishReason chunk: the last usage seen, incomplete", () => {
    const result = replayText(stream, withoutLast);
    expect(result).toMatchObject({
      tokens: tokens({ input: 1147, output: 874, cacheRead: 4096, reasoning: 867 }),
      tokensComplete: false,
      note: "the stream ended before its finishReason chunk",
    });
  });

  test("a streamed JSON array cut mid-element keeps the elements before it", () => {
    const array = new TextDecoder().decode(fixtureBytes("gemini-stream-array.json"));
    const cut = array.slice(0, array.lastIndexOf('"finishReason"'));
    const result = replayText(
      { ...stream, target: "/v1beta/models/gemini-2.5-flash:streamGenerateContent", responseHeaders: [["content-type", "application/json"]] },
      cut,
      { complete: false },
    );
    expect(result).toMatchObject({ model: "gemini-2.5-flash", tokens: tokens({ input: 1147, output: 874, cacheRead: 4096, reasoning: 867 }), tokensComplete: false });
  });

  test("a blocked prompt ends the stream without candidates", () => {
    const body = `data: ${JSON.stringify({ promptFeedback: { blockReason: "SAFETY" }, usageMetadata: { promptTokenCount: 40, totalTokenCount: 40 }, modelVersion: "gemini-2.5-flash" })}\r\n\r\n`;
    expect(replayText(stream, body)).toMatchObject({ tokens: tokens({ input: 40 }), tokensComplete: true });
  });
});

describe("gemini paths", () => {
  const post = (target: string) => replayText({ ...stream, target, responseHeaders: [["content-type", "application/json"]] }, "{}");

  test("the model comes from the URL: v1, tuned models, escaped names", () => {
    expect(post("/v1/models/gemini-2.0-flash:generateContent")).toMatchObject({ endpoint: "generateContent", model: "gemini-2.0-flash" });
    expect(post("/v1beta/tunedModels/my-model-42:generateContent")).toMatchObject({ model: "tunedModels/my-model-42" });
    expect(post("/v1beta/models/gemini%2D2.5-pro:countTokens")).toMatchObject({ endpoint: "countTokens", model: "gemini-2.5-pro" });
  });

  test("batch and unknown actions are observed, not metered", () => {
    expect(post("/v1beta/models/gemini-2.5-flash:batchGenerateContent")).toMatchObject({ endpoint: "batches", metered: false });
    expect(post("/v1beta/cachedContents")).toMatchObject({ endpoint: "other", metered: false });
    expect(post("/v1beta/models/gemini-2.5-flash:predict")).toMatchObject({ endpoint: "other", metered: false });
  });
});
