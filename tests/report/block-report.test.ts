// `report --by block` from a real store: reported 5-hour windows where Anthropic sent them,
// ccusage's estimated blocks elsewhere, a gap between, the active block's burn and projection,
// and the same blocks in JSON and CSV; then the CLI on that store.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { BLOCK_CSV_HEADER, blockCsvRows, blockReportJson, buildBlockReport, renderBlocks } from "../../core/report/block-report.ts";
import type { LimitSampleRow } from "../../core/store/limits.ts";
import { insertRows, openStore, type RequestRow, type Store } from "../../core/store/index.ts";
import { BUN, makeSandbox, repoRoot, type Sandbox } from "../harness/sandbox.ts";

const HOUR = 3_600_000;
const MIN = 60_000;
/** On the hour: an estimated block starts where its first request's hour does. */
const NOW = Date.UTC(2026, 11, 3, 12, 0) + 30 * MIN;
const RESET = NOW - 10 * HOUR; // a reported window [NOW-15h, NOW-10h)

function row(i: number, at: number, costMicros: number, over: Partial<RequestRow> = {}): RequestRow {
  return {
    exchangeId: `b-${i}`, startedAt: at, endedAt: at + 1000, provider: "anthropic", host: "api.anthropic.com", endpoint: "messages",
    method: "POST", path: "/v1/messages", model: "claude-sonnet-4-5", status: 200,
    tokens: { input: 1000, output: 100, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 },
    costMicros, priceStatus: "priced", project: "alpha", client: "claude-code", ...over,
  };
}
const fiveHour = (at: number, resetsAt: number): LimitSampleRow => ({
  provider: "anthropic", window: "5h", kind: "subscription", utilization: 0.3, limit: null, remaining: null, resetsAt, windowMinutes: null, status: "allowed", observedAt: at,
});

const ROWS: RequestRow[] = [
  // Inside the reported window, which the provider named with every response.
  row(1, RESET - 4 * HOUR, 100_000, { limits: [fiveHour(RESET - 4 * HOUR, RESET)] }),
  row(2, RESET - 1 * HOUR, 200_000, { limits: [fiveHour(RESET - 1 * HOUR, RESET)] }),
  // No window reported (an API key): estimated from 10:xx on, and active now.
  row(3, NOW - 2 * HOUR, 300_000),
  row(4, NOW - 1 * HOUR, 300_000, { priceStatus: "unpriced", costMicros: null }),
  row(5, NOW - 30 * MIN, 400_000),
  // Another project and provider, for the filters.
  row(6, NOW - 3 * HOUR, 999_000, { project: "beta", provider: "openai", host: "api.openai.com" }),
];

let store: Store;
beforeAll(() => {
  store = openStore(":memory:");
  insertRows(store, ROWS);
});
afterAll(() => store.close());

const period = { since: NOW - 24 * HOUR, until: NOW, label: "last 24 hours" };

describe("blocks from the store", () => {
  test("a reported window, a gap, and the active estimated block with its burn and projection", () => {
    const r = buildBlockReport(store, { period, provider: "anthropic" }, NOW);
    expect(r.blocks.map((b) => [b.kind, b.requests, b.costMicros])).toEqual([
      ["reported", 2, 300_000],
      ["gap", 0, 0],
      ["estimated", 3, 700_000],
    ]);
    const [reported, gap, active] = r.blocks as [typeof r.blocks[0], typeof r.blocks[0], typeof r.blocks[0]];
    expect([reported.start, reported.end]).toEqual([RESET - 5 * HOUR, RESET]);
    expect([gap.start, gap.end]).toEqual([RESET, NOW - 2 * HOUR - 30 * MIN]);
    expect([active.start, active.end, active.active, active.unpriced]).toEqual([NOW - 2 * HOUR - 30 * MIN, NOW + 2 * HOUR + 30 * MIN, true, 1]);
    // 700,000 µ$ over the 90 minutes from the first request to the last: 466,667 µ$ an hour, and
    // 2.5 more hours of that to the block's end.
    expect(active.burn!.costMicrosPerHour).toBe(466_667);
    expect(active.burn!.projectedCostMicros).toBe(700_000 + Math.round((700_000 / 1.5) * 2.5));
  });

  test("--project and --provider filter the requests; without --provider every provider's requests count", () => {
    const beta = buildBlockReport(store, { period, project: "beta" }, NOW);
    expect(beta.blocks.map((b) => [b.kind, b.requests])).toEqual([["estimated", 1]]);
    const all = buildBlockReport(store, { period }, NOW);
    expect(all.blocks.reduce((n, b) => n + b.requests, 0)).toBe(6);
  });

  test("JSON and CSV carry the same blocks, exactly", () => {
    const r = buildBlockReport(store, { period, provider: "anthropic" }, NOW);
    const json = blockReportJson(r);
    expect(json.blocks[0]).toMatchObject({ kind: "reported", start: new Date(RESET - 5 * HOUR).toISOString(), costUsd: "0.300000" });
    expect(json.blocks[2]!.burn).toMatchObject({ costUsdPerHour: "0.466667" });
    const csv = blockCsvRows(r);
    expect(BLOCK_CSV_HEADER).toHaveLength(csv[0]!.length);
    expect(csv[2]).toEqual([new Date(active(r).start).toISOString(), new Date(active(r).end).toISOString(), "estimated", "1", "3", "3300", "0.700000", "1", "0.466667", expect.stringMatching(/^1\.866667$/)]);
  });

  test("text: a line per block, the active one with its rate, narrow widths drop the detail first", () => {
    const r = buildBlockReport(store, { period, provider: "anthropic" }, NOW);
    const wide = renderBlocks(r, 160);
    expect(wide[0]).toContain("Anthropic's 5-hour window where reported, estimated elsewhere");
    expect(wide.find((l) => / reported /.test(l))).toContain("$0.30");
    expect(wide.find((l) => l.includes("gap ("))).toContain("gap (7h 30m)");
    expect(wide.find((l) => l.includes("estimated, active"))).toMatch(/estimated, active\s+3\s+3\.3k\s+\$0\.70\*$/);
    expect(wide.at(-1)).toMatch(/^Active block: \$0\.47\/h · 37 tokens\/min · projected \$1\.87 at its end · ends \d{2}:\d{2} \(in 2h 30m\)$/);
    for (const l of renderBlocks(r, 50).slice(2, -2)) expect(l.length).toBeLessThanOrEqual(50);
  });
});

function active(r: ReturnType<typeof buildBlockReport>) {
  return r.blocks.find((b) => b.active)!;
}

describe("report --by block, the CLI", () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = makeSandbox("hm-blocks-");
    const s = openStore(join(sb.meterHome, "db.sqlite"));
    insertRows(s, ROWS.map((r) => ({ ...r, startedAt: r.startedAt - NOW + Date.now(), limits: r.limits?.map((l) => ({ ...l, observedAt: l.observedAt - NOW + Date.now(), resetsAt: l.resetsAt! - NOW + Date.now() })) })));
    s.close();
  });
  afterAll(() => sb.cleanup());

  const cli = async (args: string[]) => {
    const p = sb.spawn([BUN, join(repoRoot, "cmd/halton-meter.ts"), "report", ...args]);
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout as ReadableStream).text(), new Response(p.stderr as ReadableStream).text(), p.exited]);
    return { stdout, stderr, code };
  };

  test("--by block --json, --csv and text; --vs-previous is refused", async () => {
    const json = await cli(["report", "--by", "block", "--since", "24h", "--provider", "anthropic", "--json"].slice(1));
    expect(json).toMatchObject({ code: 0, stderr: "" });
    expect((JSON.parse(json.stdout) as { blocks: Array<{ kind: string }> }).blocks.map((b) => b.kind)).toEqual(["reported", "gap", "estimated"]);
    const csv = await cli(["--by", "block", "--since", "24h", "--csv"]);
    expect(csv.stdout.split("\n")[0]).toBe(BLOCK_CSV_HEADER.join(","));
    const text = await cli(["--by", "block", "--since", "24h"]);
    expect(text.stdout).toContain("active");
    const refused = await cli(["--by", "block", "--vs-previous"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--vs-previous");
  });
});
