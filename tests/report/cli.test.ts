// `halton-meter report` as a user runs it: a real process reading a seeded db.sqlite with no daemon
// running, in text, JSON and CSV, and its answers to a missing, damaged or wrong input.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { insertRows, openStore } from "../../core/store/index.ts";
import { BUN, makeSandbox, repoRoot, type Sandbox } from "../harness/sandbox.ts";
import { DAY, expected, notSelfTest, NOW, seedRows } from "./_seed.ts";

const ROWS = seedRows();
const FROM = new Date(NOW - 30 * DAY).toISOString();
const TO = new Date(NOW).toISOString();
let sb: Sandbox;
let db: string;

beforeAll(() => {
  sb = makeSandbox("hm-report-");
  db = join(sb.meterHome, "db.sqlite");
  const store = openStore(db);
  insertRows(store, ROWS);
  store.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  store.close();
});
afterAll(() => sb.cleanup());

async function report(args: string[], env: Record<string, string> = {}, home = sb.meterHome) {
  const p = sb.spawn([BUN, join(repoRoot, "cmd/halton-meter.ts"), "report", ...args], { env: { HALTON_METER_HOME: home, ...env } });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout as ReadableStream).text(), new Response(p.stderr as ReadableStream).text(), p.exited]);
  expect(stderr + stdout).not.toMatch(/\n\s+at .*\.ts:\d+/); // never a stack trace
  return { stdout, stderr, code };
}

const inPeriod = ROWS.filter((r) => r.startedAt >= NOW - 30 * DAY && r.startedAt < NOW).filter(notSelfTest);

describe("report on a seeded database, daemon down", () => {
  test("--json: totals and groups match the rows; the file is only read", async () => {
    const before = readFileSync(db);
    const { stdout, code } = await report(["--from", FROM, "--to", TO, "--by", "model", "--json"]);
    expect(code).toBe(0);
    const data = JSON.parse(stdout);
    expect(data.total).toMatchObject(expected(inPeriod));
    expect(data.period).toEqual({ since: FROM, until: TO, label: expect.any(String) });
    for (const row of data.rows) expect(row).toMatchObject(expected(inPeriod.filter((r) => r.model === row.key)));
    expect(data.total.costUsd).toMatch(/^\d+\.\d{6}$/);
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  test("--csv: a header, one line per project, a total", async () => {
    const { stdout, code } = await report(["--from", FROM, "--to", TO, "--csv"]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("project,requests,input_tokens,output_tokens,cache_read_tokens,cache_write_5m_tokens,cache_write_1h_tokens,reasoning_tokens,cost_usd,unpriced_requests,cache_hit_rate,avg_latency_ms,p95_latency_ms,other_calls");
    const alpha = lines.find((l) => l.startsWith("alpha,"))!.split(",");
    const want = expected(inPeriod.filter((r) => r.project === "alpha"));
    expect(Number(alpha[1])).toBe(want.requests);
    expect(Math.round(Number(alpha[8]) * 1e6)).toBe(want.costMicros);
    expect(Number(alpha[12])).toBe(want.p95LatencyMs!);
    expect(lines.at(-1)!.startsWith(`total,${inPeriod.length},`)).toBe(true);
  });

  test("text fits 60 and 120 columns, with --vs-previous and --project", async () => {
    for (const columns of ["60", "120"]) {
      const { stdout, code } = await report(["--from", FROM, "--to", TO, "--by", "day", "--vs-previous", "--project", "alpha"], { COLUMNS: columns });
      expect(code).toBe(0);
      const lines = stdout.trimEnd().split("\n");
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(Number(columns));
      expect(stdout).toContain("project alpha");
      expect(lines.some((l) => /^previous\s/.test(l))).toBe(true);
      expect(lines.find((l) => /^requests\s/.test(l))).toBe(`requests  ${inPeriod.filter((r) => r.project === "alpha").length}`);
    }
  });

  test("--vs-previous in JSON: the prior period of the same length", async () => {
    const { stdout } = await report(["--from", FROM, "--to", TO, "--vs-previous", "--json"]);
    const data = JSON.parse(stdout);
    const prior = ROWS.filter((r) => r.startedAt >= NOW - 60 * DAY && r.startedAt < NOW - 30 * DAY).filter(notSelfTest);
    const { p95LatencyMs: _p95, ...sums } = expected(prior);
    expect(data.previous.total).toMatchObject({ ...sums, p95LatencyMs: null }); // a comparison carries sums only
    expect(data.previous.period.until).toBe(FROM);
  });
});

test("--include-self-test brings the installer's canaries back", async () => {
  const keys = async (args: string[]) => JSON.parse((await report(["--from", FROM, "--to", TO, "--by", "provider", "--json", ...args])).stdout).rows.map((r: { key: string }) => r.key);
  expect(await keys([])).not.toContain("halton-meter");
  expect(await keys(["--include-self-test"])).toContain("halton-meter");
});

describe("report when things are not right", () => {
  test("no database yet: a friendly message, exit 0; JSON still has its shape", async () => {
    const empty = join(sb.root, "empty-home");
    const text = await report([], {}, empty);
    expect(text.code).toBe(0);
    expect(text.stdout).toStartWith("No data yet:");
    const json = await report(["--json"], {}, empty);
    expect(JSON.parse(json.stdout).total.requests).toBe(0);
    expect(existsSync(join(empty, "db.sqlite"))).toBe(false);
  });

  test("a damaged database: a clear error and exit 1", async () => {
    const home = join(sb.root, "damaged");
    const copy = join(home, "db.sqlite");
    await Bun.write(copy, readFileSync(db));
    const fd = openSync(copy, "r+");
    writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, 4096 * 3); // scribble over pages in the middle
    closeSync(fd);
    const { code, stderr } = await report(["--from", FROM, "--to", TO], {}, home);
    expect(code).toBe(1);
    expect(stderr).toMatch(/error: .*db\.sqlite is damaged|error: .*malformed/);
    expect(stderr).toContain("hint: run `halton-meter doctor`");
  });

  test("--since takes the compound durations every other flag takes (1d12h)", async () => {
    const { code, stdout } = await report(["--since", "1d12h", "--json"]);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { period: { label: string } }).period.label).toBe("last 1 day 12 hours");
  });

  const usage: Array<[string[], RegExp]> = [
    [["--since", "7x"], /--since: "7x" is not a duration/],
    [["--from", "2026-02-30"], /--from: "2026-02-30" is not a date/],
    [["--since", "7d", "--to", "2026-06-01"], /either --since or --from\/--to/],
    [["--by", "colour"], /--by colour is not a grouping/],
    [["--json", "--csv"], /choose one of --json and --csv/],
    [["--sinse", "7d"], /unknown option --sinse/],
  ];
  for (const [args, message] of usage) {
    test(`${args.join(" ")}: exit 2 and says why`, async () => {
      const { code, stderr } = await report(args);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
    });
  }
});
