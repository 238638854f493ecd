// Provider JSON of the wrong shape, fed to each provider's observer (pure, in process): usage
// fields that are strings, negative, fractional or past what SQLite stores exactly. The row must
// say it is incomplete, and every count must be storable; a compression bomb is decoded in small
// pieces, never held whole.

import { describe, expect, test } from "bun:test";
import type { RawHeaders } from "../../core/http/types.ts";
import type { UsageResult } from "../../core/usage/types.ts";
import { createBodyDecoder } from "../../core/providers/_decode.ts";
import { createObserver } from "../../core/providers/index.ts";
import { gunzipSync } from "node:zlib";
import { gzipBomb, nestedBomb } from "./_bomb.ts";

const JSON_HEADERS: RawHeaders = [["Content-Type", "application/json"]];

function observe(host: string, target: string, body: string, headers: RawHeaders = JSON_HEADERS): UsageResult {
  const o = createObserver({ host, method: "POST", target, requestHeaders: [] })!;
  o.onResponseHead({ status: 200, headers });
  o.onResponseBody(new TextEncoder().encode(body));
  return o.finish(true);
}

const anthropic = (usage: string) => observe("api.anthropic.com", "/v1/messages", `{"type":"message","model":"claude-sonnet-4-20250514","usage":${usage}}`);
const openai = (usage: string) => observe("api.openai.com", "/v1/chat/completions", `{"object":"chat.completion","model":"gpt-4o","usage":${usage}}`);
const responses = (usage: string) => observe("api.openai.com", "/v1/responses", `{"object":"response","status":"completed","model":"gpt-4o","usage":${usage}}`);
const gemini = (usage: string) => observe("generativelanguage.googleapis.com", "/v1beta/models/gemini-2.5-pro:generateContent", `{"modelVersion":"gemini-2.5-pro","candidates":[{"finishReason":"STOP"}],"usageMetadata":${usage}}`);

const storable = (r: UsageResult) => Object.values(r.tokens).every((n) => Number.isSafeInteger(n) && n >= 0);

describe.each([
  ["anthropic", anthropic, '{"input_tokens":12,"output_tokens":7}', '{"input_tokens":"12","output_tokens":7}', '{"input_tokens":12,"output_tokens":1e308}', "input_tokens", "output_tokens"],
  ["openai chat", openai, '{"prompt_tokens":12,"completion_tokens":7}', '{"prompt_tokens":"12","completion_tokens":7}', '{"prompt_tokens":12,"completion_tokens":1e308}', "prompt_tokens", "completion_tokens"],
  ["openai responses", responses, '{"input_tokens":12,"output_tokens":7}', '{"input_tokens":"12","output_tokens":7}', '{"input_tokens":12,"output_tokens":1e308}', "input_tokens", "output_tokens"],
  ["gemini", gemini, '{"promptTokenCount":12,"candidatesTokenCount":7}', '{"promptTokenCount":"12","candidatesTokenCount":7}', '{"promptTokenCount":12,"candidatesTokenCount":1e308}', "promptTokenCount", "candidatesTokenCount"],
])("%s usage", (_name, run, good, stringCount, hugeCount, inputField, outputField) => {
  test("well formed: complete, no note", () => {
    const r = run(good);
    expect([r.tokensComplete, r.tokens.output, r.note]).toEqual([true, 7, null]);
  });

  test("a count as a string: incomplete, the field named", () => {
    const r = run(stringCount);
    expect(r.tokensComplete).toBe(false);
    expect(r.note).toContain(`usage ${inputField} not a token count; counted as 0`);
    expect(r.tokens.output).toBe(7);
  });

  test("a count past 2^53 (1e308): incomplete, and still storable", () => {
    const r = run(hugeCount);
    expect(r.tokensComplete).toBe(false);
    expect(r.note).toContain(`usage ${outputField} not a token count`);
    expect(storable(r)).toBe(true);
  });

  test.each(["-7", "7.5e-1", "null", "true", '{"n":7}', "[7]"])("a count of %s: never a negative or fractional count", (v) => {
    const r = run(good.replace(/:7\}$/, `:${v}}`));
    expect(storable(r)).toBe(true);
    if (v !== "null" && v !== "7.5e-1") expect(r.tokensComplete).toBe(false);
  });
});

describe("an anthropic stream whose counts are garbage", () => {
  test("message_start and message_delta with a negative and a huge count", () => {
    const o = createObserver({ host: "api.anthropic.com", method: "POST", target: "/v1/messages", requestHeaders: [] })!;
    o.onResponseHead({ status: 200, headers: [["Content-Type", "text/event-stream"]] });
    const ev = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    const start = ev("message_start", { type: "message_start", message: { model: "claude-sonnet-4-20250514", usage: { input_tokens: -3, output_tokens: 1 } } });
    const delta = ev("message_delta", { type: "message_delta", usage: { output_tokens: 2 ** 60 } });
    o.onResponseBody(new TextEncoder().encode(start + delta));
    const r = o.finish(true);
    expect(r.tokensComplete).toBe(false);
    expect(r.note).toBe("usage input_tokens, output_tokens not a token count; counted as 0");
    expect(storable(r)).toBe(true);
  });
});

describe("the hand-built bombs", () => {
  test.each([
    [1, "q"],
    [258, "z"],
    [259, "A"],
    [100_000, " "],
    [3 * 1024 * 1024 + 7, "a"],
  ] as const)("%i bytes of %j between a prefix and a suffix: a valid gzip of exactly that", (size, fill) => {
    const bomb = gzipBomb("<prefix>", fill, size, "</suffix>");
    const out = gunzipSync(bomb.gzip);
    expect(out.length).toBe(bomb.inflated);
    expect(out.toString("latin1")).toBe(`<prefix>${fill.repeat(size)}</suffix>`);
    expect(gunzipSync(gunzipSync(nestedBomb(bomb).gzip)).equals(out)).toBe(true);
  });

  test("1 GiB fits in about a megabyte, and in about a kilobyte gzipped twice", () => {
    const bomb = gzipBomb("", "a", 1 << 30, "");
    expect(bomb.inflated).toBe(1 << 30);
    expect(bomb.gzip.length).toBeLessThan(1_100_000);
    expect(nestedBomb(bomb).gzip.length).toBeLessThan(2048);
  });
});

describe("a gzip bomb in the decoder", () => {
  const bomb = gzipBomb('{"a":"', "a", 256 * 1024 * 1024, '"}');

  test("pushEach hands out pieces of at most 16 KiB, up to the cap, with a problem", () => {
    const decoder = createBodyDecoder(["gzip"], 8 * 1024 * 1024);
    let largest = 0;
    let total = 0;
    decoder.pushEach(bomb.gzip, (piece) => {
      largest = Math.max(largest, piece.length);
      total += piece.length;
    });
    expect(largest).toBeLessThanOrEqual(16 * 1024);
    expect(total).toBe(8 * 1024 * 1024);
    expect(decoder.problem).toBe("decoded body reached the 8 MiB cap; the rest was not read");
    decoder.close();
  });

  test("a sink that says stop stops decoding at once", () => {
    const decoder = createBodyDecoder(["gzip"]);
    let pieces = 0;
    decoder.pushEach(bomb.gzip, () => ++pieces < 3);
    expect(pieces).toBe(3);
    decoder.close();
  });

  test("through the observer: the picked usage is kept, the row is incomplete and says why", () => {
    const prefix = '{"type":"message","model":"claude-sonnet-4-20250514","usage":{"input_tokens":5,"output_tokens":7},"pad":"';
    const big = gzipBomb(prefix, "a", 256 * 1024 * 1024, '"}');
    const o = createObserver({ host: "api.anthropic.com", method: "POST", target: "/v1/messages", requestHeaders: [] }, { maxDecodedBytes: 4 * 1024 * 1024 })!;
    o.onResponseHead({ status: 200, headers: [...JSON_HEADERS, ["Content-Encoding", "gzip"]] });
    o.onResponseBody(big.gzip);
    const r = o.finish(true);
    expect([r.tokens.input, r.tokens.output, r.tokensComplete]).toEqual([5, 7, false]);
    expect(r.note).toContain("decoded body reached the 4 MiB cap");
  });
});
