// `halton-meter pricing list` and `halton-meter bodies stats|purge`, run as the real CLI. The
// bodies commands run against the database of a running daemon that keeps capturing.

import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { formatRate, renderPriceTable } from "../../cmd/commands/pricing/_table.ts";
import { priceDataInfo } from "../../core/pricing/index.ts";
import { ZERO_TOKENS } from "../../core/usage/types.ts";
import type { PriceListRow } from "../../core/pricing/types.ts";
import { bodiesStats, insertRows, openStore } from "../../core/store/index.ts";
import { anthropicJson } from "../harness/fake-provider.ts";
import { BUN, makeSandbox, repoRoot, type Sandbox, waitFor } from "../harness/sandbox.ts";
import { STARTUP_HOOK_MS } from "../harness/meter.ts";
import { type CaptureEnv, startCapture } from "./_meter.ts";

const CLI = join(repoRoot, "cmd/halton-meter.ts");

async function cli(sb: Sandbox, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = sb.spawn([BUN, CLI, ...args], { env });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout as ReadableStream).text(), new Response(p.stderr as ReadableStream).text(), p.exited]);
  return { code, stdout, stderr };
}

describe("pricing list", () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = makeSandbox("hm-pricing-");
    sb.writeConfig('[pricing.overrides."claude-sonnet-4-5"]\ninput = 2.5\n[pricing.overrides."acme-tuned"]\ninput = 1.0\noutput = 2.0\n');
  });
  afterAll(() => sb?.cleanup());

  test("names the bundled data and marks config overrides, with the rates they really charge", async () => {
    const r = await cli(sb, ["pricing", "list", "--provider", "anthropic"]);
    expect(r.code).toBe(0);
    const info = priceDataInfo();
    expect(r.stdout).toContain(`genai-prices@${info.version}, data of ${info.dataDate}`);
    expect(r.stdout).toContain(`* 2 overrides from [pricing] in ${join(sb.meterHome, "config.toml")}`);
    const lines = r.stdout.split("\n");
    const words = (model: string) => lines.map((l) => l.split(/\s+/)).find((w) => w[1] === model && w[2] !== "*");
    // The override sets input only; output and cache rates still come from the bundled entry.
    expect(words("claude-sonnet-4-5")).toEqual(["anthropic", "claude-sonnet-4-5", "3.00", "15.00", "0.30", "3.75", "6.00", ">200k:", "6.00/22.50"]);
    expect(lines.find((l) => l.includes("claude-sonnet-4-5 *"))?.split(/\s+/)).toEqual(["anthropic", "claude-sonnet-4-5", "*", "2.50", "15.00", "0.30", "3.75", "6.00"]);
    expect(lines.some((l) => l.startsWith("openai ") || l.startsWith("google "))).toBe(false);
  });

  test("--model filters by substring; --json carries the data version and the override's source", async () => {
    const r = await cli(sb, ["pricing", "list", "--model", "ACME", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { data: { version: string; dataDate: string }; prices: Array<Record<string, unknown>> };
    expect(out.data).toMatchObject({ version: priceDataInfo().version, dataDate: priceDataInfo().dataDate });
    expect(out.prices).toEqual([
      { provider: "(any)", model: "acme-tuned", name: null, input: 1, output: 2, cacheRead: 1, cacheWrite5m: 1, cacheWrite1h: 1, longContext: null, source: "config" },
    ]);
  });

  test("fits a narrow terminal: optional columns go, then one block per model", async () => {
    const wide = await cli(sb, ["pricing", "list", "--model", "sonnet-4-5"], { COLUMNS: "200" });
    expect(wide.stdout).toContain("long context");
    for (const columns of [72, 40, 24]) {
      const r = await cli(sb, ["pricing", "list", "--model", "sonnet-4-5"], { COLUMNS: String(columns) });
      expect(r.code).toBe(0);
      const table = r.stdout.split("\n\n")[1]!.trimEnd().split("\n");
      for (const line of table) expect(line.length).toBeLessThanOrEqual(columns);
      expect(table.join("\n")).toContain("claude-sonnet-4-5");
      expect(table.join("\n")).toContain("15.00");
    }
  });

  test("an unknown provider is a usage error with the valid names", async () => {
    const r = await cli(sb, ["pricing", "list", "--provider", "acme"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown provider "acme"');
    expect(r.stderr).toContain("anthropic, openai, chatgpt, google, google-cloudcode, xai");
  });
});

describe("pricing table layout", () => {
  const row = (model: string, provider = "anthropic"): PriceListRow => ({
    provider, model, name: null, input: 3, output: 15, cacheRead: 0.3, cacheWrite5m: 3.75, cacheWrite1h: 6, longContext: { aboveInputTokens: 200_000, input: 6, output: 22.5 }, source: "lib",
  });

  test("rates print with two to four decimals and no float noise", () => {
    expect([3, 0.1 + 0.2, 0.075, 0.0375, 1.25, null].map(formatRate)).toEqual(["3.00", "0.30", "0.075", "0.0375", "1.25", "-"]);
  });

  test("one provider: no provider column; narrower widths drop optional columns, then stack", () => {
    const rows = [row("claude-sonnet-4-5"), row("claude-haiku-4-5")];
    expect(renderPriceTable(rows)[0]).toBe("model              input  output  cache read  write 5m  write 1h  long context");
    expect(renderPriceTable(rows, 40)).toEqual(["model              input  output", "claude-sonnet-4-5   3.00   15.00", "claude-haiku-4-5    3.00   15.00"]);
    const stacked = renderPriceTable([row("claude-sonnet-4-5", "anthropic"), row("claude-sonnet-4-5", "google")], 24);
    expect(stacked.slice(0, 4)).toEqual(["claude-sonnet-4-5", "  provider anthropic", "  in 3.00 out 15.00", "  read 0.30 w5m 3.75"]);
    for (const l of stacked) expect(l.length).toBeLessThanOrEqual(24);
  });
});

describe("bodies stats and purge while the daemon captures", () => {
  let env: CaptureEnv;
  beforeAll(async () => {
    env = await startCapture({ script: (_req, conn) => conn.write(anthropicJson({ input: 5, output: 3 })), toml: "[capture]\nbody_capture = true\n" });
  }, STARTUP_HOOK_MS);
  afterAll(() => env?.stop());

  const send = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const r = await env.run(["curl", "-sS", "--cacert", env.ourCaPath, "-x", env.proxyUrl, "https://api.anthropic.com/v1/messages", "-H", "content-type: application/json", "--data-binary", '{"model":"claude-sonnet-4-5","messages":[]}']);
      expect(r.code).toBe(0);
    }
  };

  test("stats counts them; purge --older-than deletes only the old; --vacuum empties; capture goes on", async () => {
    await send(3);
    await waitFor(() => env.bodies().length === 3, "three bodies");
    const dbPath = join(env.sb.meterHome, "db.sqlite");
    const tenDaysAgo = Date.now() - 10 * 86_400_000;
    const db = new Database(dbPath);
    db.run("PRAGMA busy_timeout = 5000");
    db.run("UPDATE bodies SET created_at = ? WHERE request_id = (SELECT MIN(request_id) FROM bodies)", [tenDaysAgo]);
    db.close();

    const stats = await cli(env.sb, ["bodies", "stats", "--json"]);
    expect(stats.code).toBe(0);
    const s = JSON.parse(stats.stdout) as { count: number; bytes: number; oldestAt: number; newestAt: number; body_capture: boolean };
    const bytes = env.bodies().reduce((a, b) => a + b.request_bytes + b.response_bytes, 0);
    expect({ count: s.count, bytes: s.bytes, oldestAt: s.oldestAt, capture: s.body_capture }).toEqual({ count: 3, bytes, oldestAt: tenDaysAgo, capture: true });
    expect(s.newestAt).toBeGreaterThan(Date.now() - 60_000);
    const human = await cli(env.sb, ["bodies", "stats"]);
    expect(human.stdout).toMatch(/^bodies: +3 kept, /m);
    expect(human.stdout).toMatch(/^oldest: +\d{4}-\d\d-\d\d \d\d:\d\d \(10 days ago\)$/m);

    const old = await cli(env.sb, ["bodies", "purge", "--older-than", "7d"]);
    expect(old.code).toBe(0);
    expect(old.stdout).toContain("deleted 1 body older than 7d; 2 kept");
    expect(env.bodies().length).toBe(2);
    expect(env.rows().length).toBe(3); // the request rows stay

    const all = await cli(env.sb, ["bodies", "purge", "--vacuum"]);
    expect(all.code).toBe(0);
    expect(all.stderr).toContain("VACUUM rewrites db.sqlite");
    expect(all.stdout).toContain("deleted 2 bodies; 0 kept");
    expect(all.stdout).toMatch(/vacuumed: db\.sqlite and its WAL went from [\d.]+ \w?B to [\d.]+ \w?B/);
    expect(env.bodies()).toEqual([]);

    await send(1);
    await waitFor(() => env.rows().length === 4 && env.bodies().length === 1, "capture after the vacuum");
  });

  test("a duration it cannot read is a usage error, and nothing is deleted", async () => {
    const before = env.bodies().length + 1;
    await send(1);
    await waitFor(() => env.bodies().length === before, "one more body");
    const r = await cli(env.sb, ["bodies", "purge", "--older-than", "7days"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--older-than: "7days" is not a duration: use a number and a unit');
    expect(env.bodies().length).toBe(before);
  });
});

test("purge against a database another connection keeps locked: waits busy_timeout, then says so", async () => {
  const sb = makeSandbox("hm-bodies-busy-");
  const store = openStore(join(sb.meterHome, "db.sqlite"));
  try {
    insertRows(store, [{ exchangeId: "x1", startedAt: 1, provider: "anthropic", host: "api.anthropic.com", method: "POST", path: "/v1/messages", tokens: { ...ZERO_TOKENS }, priceStatus: "unmetered", bodies: { request: "req", response: "res" } }]);
    store.db.run("BEGIN IMMEDIATE");
    const r = await cli(sb, ["bodies", "purge"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the database stayed busy, so the purge did not run");
    store.db.run("ROLLBACK");
    expect(bodiesStats(store).count).toBe(1);
  } finally {
    store.close();
    await sb.cleanup();
  }
}, 30_000);

test("bodies stats without a database says zero and creates none", async () => {
  const sb = makeSandbox("hm-bodies-");
  try {
    const r = await cli(sb, ["bodies", "stats"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^bodies: +0 kept, 0 B of text$/m);
    expect(r.stdout).toMatch(/^capture: off in config\.toml/m);
    expect(existsSync(join(sb.meterHome, "db.sqlite"))).toBe(false);
  } finally {
    await sb.cleanup();
  }
});
