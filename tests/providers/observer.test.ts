// The shared observer's own behaviour: call order, odd statuses, unlabelled bodies, caps, and a
// reader that throws.

import { describe, expect, test } from "bun:test";
import type { ExchangeHead } from "../../core/http/types.ts";
import { createEndpointObserver } from "../../core/providers/_observer.ts";
import type { Endpoint } from "../../core/providers/_usage.ts";
import { createObserver } from "../../core/providers/index.ts";
import { fixtureBytes, replay, replayText, tokens, type Exchange } from "./_harness.ts";

const encoder = new TextEncoder();
const head: ExchangeHead = { host: "api.anthropic.com", method: "POST", target: "/v1/messages", requestHeaders: [] };
const anthropicSse: Exchange = { ...head, status: 200, responseHeaders: [["content-type", "text/event-stream"]] };
const streamBody = fixtureBytes("anthropic-stream.sse");

describe("observer call order", () => {
  test("finish without a response head: metered row, incomplete, says why", () => {
    const observer = createObserver(head)!;
    observer.onRequestBody(encoder.encode('{"model":"claude-sonnet-4-5"}'));
    expect(observer.finish(false)).toMatchObject({ model: "claude-sonnet-4-5", tokensComplete: false, note: "no response was received" });
  });

  test("finish twice returns the same result; later calls change nothing", () => {
    const observer = createObserver(head)!;
    observer.onResponseHead({ status: 200, headers: [["content-type", "text/event-stream"]] });
    observer.onResponseBody(streamBody);
    const first = observer.finish(true);
    observer.onResponseBody(encoder.encode("event: error\ndata: {}\n\n"));
    observer.onResponseHead({ status: 500, headers: [] });
    expect(observer.finish(false)).toBe(first);
    expect(first.tokensComplete).toBe(true);
  });

  test("an interim 100 Continue head is skipped", () => {
    const observer = createObserver(head)!;
    observer.onResponseHead({ status: 100, headers: [] });
    observer.onResponseHead({ status: 200, headers: [["content-type", "text/event-stream"]] });
    observer.onResponseBody(streamBody);
    expect(observer.finish(true).tokens.output).toBe(187);
  });

  test("a 304 has no usage and bills nothing", () => {
    expect(replayText({ ...anthropicSse, status: 304 }, "")).toMatchObject({ tokensComplete: true, errorType: null, note: "HTTP 304: no usage in this response" });
  });
});

describe("bodies without a usable content type", () => {
  test("an SSE body with no Content-Type is recognised", () => {
    expect(replay({ ...anthropicSse, responseHeaders: [] }, { chunks: [encoder.encode("\n"), streamBody] })).toMatchObject({ stream: true, tokensComplete: true, tokens: tokens({ input: 472, output: 187, cacheRead: 12032, cacheWrite5m: 3150 }) });
  });

  test("a JSON body labelled text/plain is recognised", () => {
    const result = replay({ ...anthropicSse, responseHeaders: [["content-type", "text/plain"]] }, { chunks: [fixtureBytes("anthropic-message.json")] });
    expect(result).toMatchObject({ stream: false, tokensComplete: true, model: "claude-sonnet-4-5-20250929" });
  });

  test("an HTML page instead of JSON: incomplete, with the parser's reason", () => {
    const result = replayText({ ...anthropicSse, responseHeaders: [["content-type", "application/json"]] }, "<html>captive portal</html>");
    expect(result).toMatchObject({ tokensComplete: false, note: 'response body is not valid JSON (unexpected "<" at byte 0)' });
  });

  test("a request body that is not JSON only loses the fallback model", () => {
    const result = replay({ ...anthropicSse, requestBody: encoder.encode("--boundary\r\nContent-Disposition: form-data") }, { chunks: [streamBody] });
    expect(result).toMatchObject({ model: "claude-opus-4-1-20250805", tokensComplete: true });
  });
});

describe("caps", () => {
  test("an SSE event larger than the cap is skipped and reported", () => {
    const result = replay(anthropicSse, { chunks: [streamBody], maxEventBytes: 400 });
    expect(result.tokensComplete).toBe(false);
    expect(result.note).toMatch(/SSE event\(s\) passed the 400 bytes cap and were skipped/);
    expect(result.tokens.output).toBe(187);
  });
});

describe("a reader that throws", () => {
  const endpoint: Endpoint = {
    provider: "anthropic",
    name: "messages",
    metered: true,
    errorOf: () => null,
    reader: () => ({
      spec: true,
      payload() {
        throw new Error("boom");
      },
    }),
  };

  test("costs the row its detail, never an exception", () => {
    const observer = createEndpointObserver(head, endpoint);
    observer.onResponseHead({ status: 200, headers: [["content-type", "text/event-stream"]] });
    expect(() => observer.onResponseBody(streamBody)).not.toThrow();
    const result = observer.finish(true);
    expect(result).toMatchObject({ tokensComplete: false, tokens: tokens({}) });
    expect(result.note).toMatch(/^adapter error: boom/);
  });

  test("an endpoint whose reader factory throws still yields a result", () => {
    const broken: Endpoint = {
      ...endpoint,
      reader: () => {
        throw new Error("factory");
      },
    };
    const observer = createEndpointObserver(head, broken);
    observer.onResponseHead({ status: 200, headers: [["content-type", "application/json"]] });
    observer.onResponseBody(streamBody);
    expect(observer.finish(true)).toMatchObject({ tokensComplete: false, note: "adapter error: factory" });
  });
});
