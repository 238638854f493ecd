import { describe, expect, test } from "bun:test";
import { fixtureBytes, fixtureSuite, replay, replayText, tokens, type Exchange } from "./_harness.ts";
import { casesFor, CASES } from "./fixtures/cases.ts";

const messages: Exchange = {
  host: "api.anthropic.com",
  method: "POST",
  target: "/v1/messages",
  requestBody: { model: "claude-sonnet-4-5", max_tokens: 1024, messages: [] },
  status: 200,
  responseHeaders: [["content-type", "application/json"]],
};
const streamed: Exchange = { ...messages, requestBody: { model: "claude-opus-4-1", stream: true }, responseHeaders: [["content-type", "text/event-stream"]] };
const streamFixture = new TextDecoder().decode(fixtureBytes("anthropic-stream.sse"));

describe("anthropic fixtures", () => fixtureSuite(casesFor("anthropic")));

describe("anthropic streams cut short", () => {
  const upToFirstBlock = streamFixture.slice(0, streamFixture.indexOf("event: content_block_start"));

  test("cut by the connection after message_start: what was seen, marked incomplete", () => {
    const result = replayText(streamed, upToFirstBlock, { complete: false });
    expect(result).toMatchObject({
      model: "claude-opus-4-1-20250805",
      tokens: tokens({ input: 472, output: 2, cacheRead: 12032, cacheWrite5m: 3150 }),
      tokensComplete: false,
      note: "the response was cut off before its end",
    });
  });

  test("ended cleanly but without message_delta: incomplete, says so", () => {
    const result = replayText(streamed, upToFirstBlock, { complete: true });
    expect(result).toMatchObject({ tokensComplete: false, note: "the response carried no final usage report" });
  });

  test("cut after message_delta but before message_stop, framed complete: the usage is final", () => {
    const result = replayText(streamed, streamFixture.slice(0, streamFixture.indexOf("event: message_stop")));
    expect(result).toMatchObject({ tokensComplete: true, tokens: tokens({ input: 472, output: 187, cacheRead: 12032, cacheWrite5m: 3150 }) });
  });
});

describe("anthropic cache writes", () => {
  const usage = (u: object) => JSON.stringify({ type: "message", model: "claude-haiku-4-5", usage: u });

  test("without the 5m/1h split, every cache write is 5-minute", () => {
    const result = replayText(messages, usage({ input_tokens: 3, cache_creation_input_tokens: 700, output_tokens: 9 }));
    expect(result.tokens).toEqual(tokens({ input: 3, output: 9, cacheWrite5m: 700 }));
  });

  test("a total larger than the split puts the remainder in 5-minute", () => {
    const body = usage({ cache_creation_input_tokens: 1000, cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 800 } });
    expect(replayText(messages, body).tokens).toEqual(tokens({ cacheWrite5m: 200, cacheWrite1h: 800 }));
  });

  test("a message without usage is not complete", () => {
    const result = replayText(messages, JSON.stringify({ type: "message", model: "claude-haiku-4-5", content: [] }));
    expect(result).toMatchObject({ model: "claude-haiku-4-5", tokensComplete: false, note: "the response carried no final usage report" });
  });

  test("a response without a model falls back to the request's", () => {
    expect(replayText(messages, JSON.stringify({ type: "message", usage: { input_tokens: 1 } })).model).toBe("claude-sonnet-4-5");
  });
});

describe("anthropic batches", () => {
  const results: Exchange = { ...messages, method: "GET", target: "/v1/messages/batches/msgbatch_01/results", requestBody: undefined };

  test("results from two models are summed but left unpriced", () => {
    const line = (model: string, input: number) =>
      JSON.stringify({ custom_id: model, result: { type: "succeeded", message: { model, usage: { input_tokens: input, output_tokens: 1 } } } });
    const result = replayText(results, `${line("claude-a", 10)}\n${line("claude-b", 20)}\n${line("claude-a", 5)}\n`);
    expect(result).toMatchObject({ model: null, billing: "batch", tokens: tokens({ input: 35, output: 3 }), tokensComplete: true });
    expect(result.note).toMatch(/mixed models, not priced: claude-a x2, claude-b x1/);
  });

  test("list, retrieve and cancel are observed, not metered", () => {
    for (const [method, target] of [["GET", "/v1/messages/batches?limit=20"], ["GET", "/v1/messages/batches/msgbatch_01"], ["POST", "/v1/messages/batches/msgbatch_01/cancel"]]) {
      const result = replayText({ ...messages, method: method!, target: target! }, '{"data":[],"has_more":false}');
      expect(result).toMatchObject({ endpoint: "batches", metered: false, tokensComplete: true, tokens: tokens({}) });
    }
  });
});

describe("anthropic errors", () => {
  test("an error body that is not JSON falls back to http_<status>", () => {
    const result = replayText({ ...messages, status: 502, responseHeaders: [["content-type", "text/html"]] }, "<html>Bad gateway</html>");
    expect(result).toMatchObject({ errorType: "http_502", tokensComplete: true, note: "HTTP 502", tokens: tokens({}) });
  });

  test("an overloaded 529 cut mid-body still counts nothing and stays complete", () => {
    const overloaded = CASES.find((c) => c.file === "anthropic-529.json")!;
    const result = replay(overloaded, { chunks: [fixtureBytes(overloaded.file).subarray(0, 30)], complete: false });
    expect(result).toMatchObject({ errorType: "http_529", tokensComplete: true, tokens: tokens({}) });
  });
});
