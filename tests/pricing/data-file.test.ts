// Installed genai-prices data: what `pricing update` accepts and refuses, and how a process (the
// daemon) takes up a new file without a restart and survives a damaged one. Real files, no network.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { writeFileAtomic } from "../../core/fs/atomic.ts";
import { rowFor } from "../../core/capture/row.ts";
import { BUNDLED, followPriceDataFile, inspectPriceData, priceUsage, usePriceDataFile, type PriceDataState } from "../../core/pricing/index.ts";
import { preparePriceData } from "../../core/pricing/update.ts";
import type { ExchangeRecord } from "../../core/usage/types.ts";
import { tempDir } from "../report/_seed.ts";
import { NEW_MODEL, newerData, upstreamProviders } from "./_data.ts";
import { tokens } from "./_tokens.ts";

const NOW = new Date("2026-12-01T10:00:00Z");
const prepare = (data: unknown, now = NOW) => preparePriceData(typeof data === "string" ? data : JSON.stringify(data), { from: "https://prices.test/data.json", now });
const newModelUsage = { provider: "openai" as const, model: NEW_MODEL, tokens: tokens({ input: 1_000, output: 100, cacheRead: 2_000, cacheWrite5m: 400 }) };
// 1000 × $20 + 100 × $80 + 2000 × $2 + 400 × $25 per million tokens
const NEW_MODEL_COST = 20_000 + 8_000 + 4_000 + 10_000;

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir("hm-price-data-");
});
afterAll(() => tmp.remove());
afterEach(() => {
  usePriceDataFile(null);
});

function installed(file: string, data: unknown = newerData(), now = NOW): string {
  const p = prepare(data, now);
  if (!p.ok) throw new Error(p.message);
  writeFileAtomic(file, p.text);
  return p.data.source;
}

describe("what pricing update accepts", () => {
  test("newer data: our four providers kept, named by the file's hash and the day it was installed", () => {
    const p = prepare(newerData());
    if (!p.ok) throw new Error(p.message);
    expect(p.data.source).toMatch(/^genai-prices@sha256:[0-9a-f]{8}\/2026-12-01$/);
    expect(p.data).toMatchObject({ origin: "installed", dataDate: "2026-12-01", from: "https://prices.test/data.json" });
    expect([...p.data.providers.keys()].sort()).toEqual(["anthropic", "google", "openai", "x-ai"]);
    expect(p.text).not.toContain('"mistral"');
    expect(p.models).toBe(upstreamProviders().slice(0, 4).reduce((n, prov) => n + prov.models.length, 1));
    expect(priceUsage(newModelUsage, { data: p.data, now: NOW })).toMatchObject({ status: "priced", costMicros: NEW_MODEL_COST, source: p.data.source });
  });

  test.each([
    ["not JSON", '[{"id": "openai"', /^is not JSON \(/],
    ["the newer wrapped format", { providers: [], units: {} }, /newer \{ providers, units \} format.*upgrade halton-meter/],
    ["an object", { openai: {} }, /^is not genai-prices data: the file: expected a list of providers/],
    ["a price that is text", newerData((ps) => (ps[1]!.models[0]!.prices = { input_mtok: "cheap" } as never)), /\[1 "openai"\]\.models\[0 "[^"]+"\]\.prices\.input_mtok: expected a price.*got "cheap"/],
    ["a negative tier", newerData((ps) => (ps[0]!.models[0]!.prices = { input_mtok: { base: 1, tiers: [{ start: -5, price: 2 }] } } as never)), /prices\.input_mtok\.tiers\[0\]\.start: expected a token count of 0 or more/],
    ["a bad start date", newerData((ps) => (ps[2]!.models[0]!.prices = [{ constraint: { start_date: "2026-02-30", type: "start_date" }, prices: { input_mtok: 1 } }])), /constraint\.start_date: expected a date that exists, got "2026-02-30"/],
    ["a regex that does not compile", newerData((ps) => (ps[3]!.models[0]!.match = { regex: "(grok" })), /match\.regex: expected a valid regular expression/],
    ["a provider missing", upstreamProviders().filter((p) => p.id !== "x-ai"), /^has no "x-ai" provider: the meter prices anthropic, openai, google, x-ai from it$/],
    ["a price this genai-prices cannot evaluate", newerData(() => {}, { input_mtok: 1, output_mtok: 2, cache_write_1h_mtok: 3 }), /cannot evaluate \(openai model gpt-99-ultra: Missing ancestor price key cache_write_mtok/],
  ])("refused: %s", (_what, data, message) => {
    const p = prepare(data);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.message).toMatch(message);
  });
});

describe("the installed file", () => {
  test("absent: the bundled data, no warning", () => {
    expect(inspectPriceData(tmp.path("none.json"))).toEqual({ data: BUNDLED, warning: null });
  });

  test("damaged in any way: the bundled data and a warning, never a throw", () => {
    const good = prepare(newerData());
    if (!good.ok) throw new Error(good.message);
    const damaged = {
      truncated: good.text.slice(0, good.text.length / 2),
      "someone else's JSON": '{"providers": []}',
      "a bad price inside": good.text.replace(/"input_mtok":\d+(\.\d+)?/, '"input_mtok":"x"'),
      "no installed_at": good.text.replace(/"installed_at":"[^"]+"/, '"installed_at":"soon"'),
    };
    for (const [what, text] of Object.entries(damaged)) {
      const file = tmp.path(`damaged-${what}.json`);
      writeFileSync(file, text);
      const state = inspectPriceData(file);
      expect({ what, data: state.data.source }).toEqual({ what, data: BUNDLED.source });
      expect(state.warning).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is damaged \\(.+\\): pricing with the bundled genai-prices@0\\.1\\.8/2026-09-22 data`));
    }
  });

  test("installed before the bundled data's date (halton-meter upgraded since): the bundled data wins, with a warning", () => {
    const file = tmp.path("old.json");
    installed(file, newerData(), new Date("2026-01-15T00:00:00Z"));
    const state = inspectPriceData(file);
    expect(state.data).toBe(BUNDLED);
    expect(state.warning).toContain("was installed on 2026-01-15, before the bundled data of 2026-09-22");
  });
});

describe("a running process takes up new data without a restart", () => {
  test("installed, replaced, damaged, removed: each seen at the next look", async () => {
    const file = tmp.path("live.json");
    const changes: PriceDataState[] = [];
    const follow = followPriceDataFile(file, { everyMs: 60_000, onChange: (s) => changes.push(s) });
    expect(priceUsage(newModelUsage, { now: NOW })).toMatchObject({ status: "unpriced", source: BUNDLED.source });

    const first = installed(file);
    await follow.check();
    expect(priceUsage(newModelUsage, { now: NOW })).toMatchObject({ status: "priced", costMicros: NEW_MODEL_COST, source: first });

    const second = installed(file, newerData(() => {}, { input_mtok: 10, output_mtok: 40, cache_read_mtok: 1, cache_write_mtok: 12.5 }));
    expect(second).not.toBe(first);
    await follow.check();
    expect(priceUsage(newModelUsage, { now: NOW })).toMatchObject({ status: "priced", costMicros: NEW_MODEL_COST / 2, source: second });

    writeFileSync(file, "{ not json");
    for (let i = 0; i < 3; i++) {
      await follow.check();
      expect(priceUsage({ ...newModelUsage, model: "gpt-5" }, { now: NOW })).toMatchObject({ status: "priced", source: BUNDLED.source });
    }

    writeFileAtomic(file, "");
    await follow.check();
    expect(priceUsage({ ...newModelUsage, model: "gpt-5" }, { now: NOW }).source).toBe(BUNDLED.source);
    rmSync(file);
    await follow.check();
    follow.stop();
    expect(priceUsage(newModelUsage, { now: NOW }).status).toBe("unpriced");
    // First look (no file), each install, the damage reported once however many lookups, the emptied and the removed file.
    expect(changes.map((c) => [c.data.source, c.warning === null ? null : "warning"])).toEqual([
      [BUNDLED.source, null],
      [first, null],
      [second, null],
      [BUNDLED.source, "warning"],
      [BUNDLED.source, "warning"],
      [BUNDLED.source, null],
    ]);
  });

  test("a price lookup never looks at the file: only the follower's look does, and the first one is at start", async () => {
    const file = tmp.path("followed.json");
    const before = installed(file);
    const follow = followPriceDataFile(file, { everyMs: 60_000 });
    expect(priceUsage(newModelUsage, { now: NOW })).toMatchObject({ status: "priced", source: before });
    rmSync(file);
    expect(priceUsage(newModelUsage, { now: NOW })).toMatchObject({ status: "priced", source: before });
    await follow.check();
    follow.stop();
    expect(priceUsage(newModelUsage, { now: NOW }).status).toBe("unpriced");
  });

  test("the daemon's rows say which data priced them, or failed to", () => {
    const file = tmp.path("rows.json");
    const source = installed(file);
    usePriceDataFile(file);
    const rec = (model: string): ExchangeRecord => ({
      exchangeId: model, host: "api.openai.com", method: "POST", target: "/v1/responses", requestHeaders: [], startedAt: NOW.getTime(), firstByteAt: null,
      endedAt: NOW.getTime() + 5, status: 200, complete: true, error: null, bodies: null,
      usage: { provider: "openai", endpoint: "responses", model, metered: true, stream: false, tokens: newModelUsage.tokens, tokensComplete: true, errorType: null, note: null },
    });
    const who = { pid: null, attribution: { project: null, source: null }, overrides: {}, accountSalt: "salt" };
    expect(rowFor(rec(NEW_MODEL), who)).toMatchObject({ priceStatus: "priced", costMicros: NEW_MODEL_COST, priceSource: source });
    expect(rowFor(rec("gpt-100"), who)).toMatchObject({ priceStatus: "unpriced", costMicros: null, priceSource: source, note: expect.stringContaining("pricing update") });
  });
});
