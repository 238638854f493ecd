// `pricing update`, `pricing list` and `pricing reprice` as a user runs them: real processes in a
// sandbox, a real db.sqlite, data from files and from a loopback server (never the internet).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "bun";
import { BUNDLED, priceUsage } from "../../core/pricing/index.ts";
import { DEFAULT_PRICE_SOURCE } from "../../core/pricing/source.ts";
import { usd } from "../../core/report/format.ts";
import { insertRows, openStore, rebuildRollup, type RequestRow } from "../../core/store/index.ts";
import { freePort } from "../harness/sandbox.ts";
import { cli, expectRefusal, hashTree, makeSandbox, meterHome, type Sandbox } from "../badinput/_cli.ts";
import { NEW_MODEL, newerData, writeData } from "./_data.ts";
import { tokens } from "./_tokens.ts";

let sb: Sandbox;
let server: Server<undefined>;
let url: string;
let good: string;
const NEWER = newerData();

beforeAll(() => {
  sb = makeSandbox("hm-pricing-cli-");
  good = writeData(join(sb.root, "data.json"), NEWER);
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/data.json") return new Response(readFileSync(good), { headers: { "content-type": "application/json" } });
      if (path === "/wrong.json") return Response.json({ openai: { gpt: 1 } });
      return new Response("no such file", { status: 404, statusText: "Not Found" });
    },
  });
  url = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  server?.stop(true);
  await sb?.cleanup();
});

describe("pricing update", () => {
  test("from a file: installed in the meter's folder, and `pricing list` prices with it", async () => {
    const home = meterHome(sb, "from-file");
    const r = await cli(sb, home, ["pricing", "update", "--from", good]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^installed genai-prices@sha256:[0-9a-f]{8}\/\d{4}-\d{2}-\d{2} \(\d+ models of anthropic, openai, google, x-ai\) in .*genai-prices\.json, replacing genai-prices@0\.1\.8\/2026-09-22$/m);
    expect(existsSync(join(home, "genai-prices.json"))).toBe(true);
    const list = await cli(sb, home, ["pricing", "list", "--model", NEW_MODEL]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`installed ${new Date().toISOString().slice(0, 10)} from ${good}`);
    expect(list.stdout).toMatch(new RegExp(`^${NEW_MODEL}\\s+20\\.00\\s+80\\.00\\s+2\\.00\\s+25\\.00`, "m"));
    const json = JSON.parse((await cli(sb, home, ["pricing", "list", "--json", "--model", NEW_MODEL])).stdout);
    expect(json.data).toMatchObject({ origin: "installed", from: good, source: expect.stringMatching(/^genai-prices@sha256:/) });
    expect(json.prices[0]).toMatchObject({ model: NEW_MODEL, source: json.data.source });
    // The same data again changes nothing.
    const again = await cli(sb, home, ["pricing", "update", "--from", good]);
    expect({ code: again.code, out: again.stdout }).toEqual({ code: 0, out: expect.stringContaining("already holds this data") });
  });

  test("from a loopback URL", async () => {
    const home = meterHome(sb, "from-url");
    const r = await cli(sb, home, ["pricing", "update", "--from", `${url}/data.json`]);
    expect(r.code).toBe(0);
    const json = JSON.parse((await cli(sb, home, ["pricing", "list", "--json"])).stdout);
    expect(json.data).toMatchObject({ origin: "installed", from: `${url}/data.json` });
  });

  test("--help names the published data it downloads by default", async () => {
    const r = await cli(sb, meterHome(sb, "help"), ["pricing", "update", "--help"], { COLUMNS: "400" });
    expect(r.stdout).toContain(DEFAULT_PRICE_SOURCE);
  });

  test.each([
    ["a file that does not exist", () => ["--from", join(sb.root, "nope.json")], 1, /^error: cannot read .*nope\.json: no such file$/m],
    ["a directory", () => ["--from", sb.root], 1, /^error: .* is not a regular file$/m],
    ["malformed JSON", () => ["--from", writeData(join(sb.root, "cut.json"), readFileSync(good, "utf8").slice(0, 5000))], 1, /^error: .*cut\.json is not JSON \(/m],
    ["the wrong shape", () => ["--from", writeData(join(sb.root, "shape.json"), newerData((ps) => (ps[1]!.models[2]!.prices = { output_mtok: -3 })))], 1, /^error: .*shape\.json is not genai-prices data: \[1 "openai"\]\.models\[2 "[^"]+"\]\.prices\.output_mtok: expected a price/m],
    ["a URL answering 404", () => ["--from", `${url}/gone.json`], 1, /^error: http:\/\/127\.0\.0\.1:\d+\/gone\.json answered HTTP 404 Not Found$/m],
    ["a URL with the wrong shape", () => ["--from", `${url}/wrong.json`], 1, /^error: .*wrong\.json is not genai-prices data: the file: expected a list of providers/m],
    ["an unreachable URL", () => ["--from", `http://127.0.0.1:${freePort()}/data.json`], 1, /^error: cannot download http:\/\/127\.0\.0\.1:\d+\/data\.json: connection refused$/m],
    ["another scheme", () => ["--from", "ftp://127.0.0.1/data.json"], 1, /^error: ftp:\/\/127\.0\.0\.1\/data\.json: only http:\/\/ and https:\/\/ URLs can be downloaded$/m],
    ["an empty --from", () => ["--from", ""], 2, /^error: --from needs a file or an http\(s\) URL$/m],
  ])("refused, the installed data untouched: %s", async (_what, args, code, message) => {
    const home = meterHome(sb, `refused-${_what.replace(/\W+/g, "-")}`);
    expect((await cli(sb, home, ["pricing", "update", "--from", good])).code).toBe(0);
    const before = hashTree(home);
    const r = await cli(sb, home, ["pricing", "update", ...args()]);
    expectRefusal(r, code, message);
    expect(r.stderr).toContain(code === 1 ? "the price data in use was left as it was" : "--help");
    expect(hashTree(home)).toEqual(before);
  });

  test("a damaged installed file: `pricing list` warns and prices with the bundled data", async () => {
    const home = meterHome(sb, "damaged");
    writeFileSync(join(home, "genai-prices.json"), '{"format": "halton-meter/genai-prices-data@1", "providers": [');
    const r = await cli(sb, home, ["pricing", "list", "--model", "gpt-5.6-sol"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: .*genai-prices\.json is damaged \(not JSON .*\): pricing with the bundled genai-prices@0\.1\.8\/2026-09-22 data/m);
    expect(r.stdout).toContain("Prices from genai-prices@0.1.8, data of 2026-09-22");
  });
});

const AT = Date.UTC(2026, 10, 2, 12);

/** Rows as the daemon stored them with the bundled data: a model it did not know, stale and exact costs, a house model. */
function seedRows(): RequestRow[] {
  const base = { host: "api.openai.com", method: "POST", path: "/v1/responses", endpoint: "responses", provider: "openai", project: "alpha", client: "codex", latencyMs: 900 };
  const exact = priceUsage({ provider: "openai", model: "gpt-5", tokens: tokens({ input: 2_000, output: 300 }) }, { data: BUNDLED, now: new Date(AT) });
  if (exact.status !== "priced") throw new Error("gpt-5 is not priced");
  const rows: RequestRow[] = [];
  for (let i = 0; i < 30; i++) {
    const day = AT - (i % 3) * 86_400_000 + i * 1000;
    const kind = i % 3;
    rows.push({
      ...base,
      exchangeId: `cli-${i}`,
      startedAt: day,
      model: kind === 0 ? NEW_MODEL : kind === 1 ? "gpt-5" : "house-model",
      tokens: kind === 0 ? tokens({ input: 1_000, output: 100, cacheRead: 2_000, cacheWrite5m: 400 }) : tokens({ input: 2_000, output: 300 }),
      priceStatus: kind === 1 ? "priced" : "unpriced",
      // Every other gpt-5 row carries a stale cost; the rest are exact.
      costMicros: kind === 1 ? (i % 2 ? exact.costMicros : 1) : null,
      priceSource: kind === 1 ? BUNDLED.source : null,
      note: kind === 1 ? null : `no price known for openai model "${kind === 0 ? NEW_MODEL : "house-model"}": add it under [pricing] in config.toml`,
    });
  }
  return rows;
}

describe("pricing reprice", () => {
  let home: string;
  let db: string;
  beforeAll(() => {
    home = meterHome(sb, "reprice");
    db = join(home, "db.sqlite");
    const store = openStore(db);
    insertRows(store, seedRows());
    store.close();
  });
  const rowsNow = () => {
    const store = openStore(db);
    try {
      return store.db.query("SELECT exchange_id, model, cost_micros, price_status, price_source, note FROM requests ORDER BY id").all() as Array<Record<string, string | number | null>>;
    } finally {
      store.close();
    }
  };

  test("--dry-run says what would change and writes nothing", async () => {
    const before = rowsNow();
    const r = await cli(sb, home, ["pricing", "reprice", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Prices: genai-prices@0.1.8/2026-09-22\n");
    // Only the 5 stale gpt-5 rows: the bundled data knows neither gpt-99-ultra nor house-model.
    expect(r.stdout).toMatch(/^30 requests checked: 5 would be repriced \(0 had no price\), cost \+\$0\.\d{4}$/m);
    expect(r.stdout).toContain("20 still without a price: `halton-meter doctor` names their models");
    expect(r.stdout).toContain("--dry-run: nothing was written");
    expect(rowsNow()).toEqual(before);
  });

  test("after an update and an override: the unpriced rows are priced, the stale ones corrected, the rollup with them", async () => {
    expect((await cli(sb, home, ["pricing", "update", "--from", good])).code).toBe(0);
    writeFileSync(join(home, "config.toml"), '[pricing.overrides]\n"house-model" = { input = 1.0, output = 2.0 }\n');
    const r = await cli(sb, home, ["pricing", "reprice", "--since", "2026-10-01"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Prices: genai-prices@sha256:[0-9a-f]{8}\/\d{4}-\d{2}-\d{2}, and 1 override from \[pricing\.overrides\] in /m);
    // 10 new-model rows at 42,000 µ$, 10 house-model rows at 2000×1 + 300×2 = 2,600 µ$, 5 gpt-5 rows corrected.
    const after = rowsNow();
    const stale = seedRows().filter((x) => x.costMicros === 1).length;
    const exact = after.find((x) => x.model === "gpt-5" && x.cost_micros !== null)!.cost_micros as number;
    const delta = 10 * 42_000 + 10 * 2_600 + stale * (exact - 1);
    expect(delta).toBe(473_495); // gpt-5: 2000 × $1.25 + 300 × $10 = 5,500 µ$, less the stale 1
    expect(r.stdout).toContain(`\n30 requests checked: 25 repriced (20 had no price), cost +${usd(delta, true)}\n`);
    expect(usd(delta, true)).toBe("$0.4735");
    for (const x of after) {
      if (x.model === NEW_MODEL) expect(x).toMatchObject({ price_status: "priced", cost_micros: 42_000, price_source: expect.stringMatching(/^genai-prices@sha256:/), note: null });
      if (x.model === "house-model") expect(x).toMatchObject({ price_status: "priced", cost_micros: 2_600, price_source: "config" });
      if (x.model === "gpt-5") expect(x.cost_micros).toBe(exact);
    }
    // Rows already at their price kept the source that priced them.
    expect(after.filter((x) => x.model === "gpt-5" && x.price_source === BUNDLED.source)).toHaveLength(5);
    const store = openStore(db);
    try {
      const rollup = () => store.db.query("SELECT day_start, model, requests, cost_micros, unpriced FROM request_rollups ORDER BY day_start, model").all();
      const kept = rollup();
      rebuildRollup(store.db);
      expect(kept).toEqual(rollup());
    } finally {
      store.close();
    }
    const again = await cli(sb, home, ["pricing", "reprice"]);
    expect(again.stdout).toContain("30 requests checked: every stored cost already matches these prices; nothing was written");
  });

  test.each([
    [["--since", "yesterday"], 2, /^error: --since: "yesterday" is neither a date nor a length of time$/m],
    [["--since", "2026-02-30"], 2, /^error: --since: "2026-02-30" is neither a date nor a length of time$/m],
    [["--since"], 2, /^error: --since needs a value$/m],
  ])("refused: reprice %j", async (args, code, message) => {
    expectRefusal(await cli(sb, home, ["pricing", "reprice", ...args]), code, message);
  });

  test("no database yet: refused, and none is created", async () => {
    const empty = meterHome(sb, "no-db");
    expectRefusal(await cli(sb, empty, ["pricing", "reprice"]), 1, /^error: no requests stored yet \(.*db\.sqlite does not exist\): nothing to reprice$/m);
    expect(existsSync(join(empty, "db.sqlite"))).toBe(false);
  });
});
