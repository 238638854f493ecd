// OpenAI cache writes, from the wire to money: the recorded Responses and Chat Completions bodies
// (tests/providers/fixtures) replayed through the adapter, then priced. Writes bill at the model's
// genai-prices cache_write_mtok, not at the input rate; reads at cache_read_mtok; input is the rest.

import { describe, expect, test } from "bun:test";
import { priceUsage } from "../../core/pricing/index.ts";
import { fixtureBytes, replay } from "../providers/_harness.ts";
import { CASES } from "../providers/fixtures/cases.ts";

function pricedCase(file: string, at: string) {
  const c = CASES.find((x) => x.file === file)!;
  const usage = replay(c, { chunks: [fixtureBytes(file)] });
  const r = priceUsage({ provider: usage.provider, model: usage.model, tokens: usage.tokens }, { now: new Date(at) });
  if (r.status !== "priced") throw new Error(r.reason);
  return { usage, r };
}

describe("OpenAI cache writes are priced at cache_write_mtok", () => {
  test("gpt-5.6-sol Responses JSON, after its 2026-08-21 price change: $4 in, $0.40 read, $5 write, $20 out", () => {
    const { usage, r } = pricedCase("openai-responses-cache-write.json", "2026-09-01T12:00:00Z");
    expect(usage.tokens).toMatchObject({ input: 562, cacheRead: 8192, cacheWrite5m: 4096, output: 312 });
    expect(r.matchedModel).toBe("gpt-5.6-sol");
    // 562×4, 312×20, 8192×0.4 = 3276.8, 4096×5 (at the input rate it would be 16,384)
    expect(r.breakdown).toEqual({ input: 2_248, output: 6_240, cacheRead: 3_277, cacheWrite5m: 20_480, cacheWrite1h: 0 });
    expect(r.costMicros).toBe(32_245); // 32,244.8 rounded once
  });

  test("the same request before 2026-08-21 bills the older $6.25 write rate", () => {
    const { r } = pricedCase("openai-responses-cache-write.json", "2026-08-01T12:00:00Z");
    expect(r.breakdown.cacheWrite5m).toBe(25_600);
  });

  test("gpt-6-sol Chat Completions JSON: $2 in, $0.20 read, $2.50 write, $10 out", () => {
    const { r } = pricedCase("openai-chat-cache-write.json", "2026-11-01T12:00:00Z");
    // 24×2, 54×10, 1024×0.2 = 204.8, 1058×2.5 = 2645
    expect(r.breakdown).toEqual({ input: 48, output: 540, cacheRead: 205, cacheWrite5m: 2_645, cacheWrite1h: 0 });
    expect(r.costMicros).toBe(3_438); // 3,437.8
  });

  test("streamed: gpt-6-luna Chat Completions SSE, a write of 5,120 tokens at $0.125", () => {
    const { r } = pricedCase("openai-chat-cache-write-stream.sse", "2026-11-01T12:00:00Z");
    expect(r.breakdown).toMatchObject({ input: 11, output: 2, cacheWrite5m: 640 });
  });
});
