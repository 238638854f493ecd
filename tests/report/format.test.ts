// Periods, money and the text table: pure functions, checked directly.

import { describe, expect, test } from "bun:test";
import { change, compact, costCell, usd, usdExact } from "../../core/report/format.ts";
import { buildReport } from "../../core/report/model.ts";
import { parseInstant, parsePeriodLength, previousPeriod, resolvePeriod } from "../../core/report/period.ts";
import { renderText } from "../../core/report/text.ts";
import { insertRows, openStore } from "../../core/store/index.ts";
import { DAY, HOUR, NOW, seedRows } from "./_seed.ts";

describe("periods", () => {
  test("durations", () => {
    expect(parsePeriodLength("30m")).toEqual({ ok: true, value: { ms: 30 * 60_000, label: "last 30 minutes" } });
    expect(parsePeriodLength("24h")).toEqual({ ok: true, value: { ms: DAY, label: "last 24 hours" } });
    expect(parsePeriodLength("1d")).toEqual({ ok: true, value: { ms: DAY, label: "last day" } });
    expect(parsePeriodLength("2w")).toMatchObject({ ok: true, value: { ms: 14 * DAY } });
    expect(parsePeriodLength("1d12h")).toEqual({ ok: true, value: { ms: 1.5 * DAY, label: "last 1 day 12 hours" } });
    for (const bad of ["", "7", "d", "7x", "-1d", "0d", "0h0m", "1.5h", "7 days"]) expect(parsePeriodLength(bad).ok).toBe(false);
  });

  test("dates are local midnights, times local or explicit; impossible dates are refused", () => {
    expect(parseInstant("2026-06-01")).toEqual({ ok: true, value: { ms: new Date(2026, 5, 1).getTime(), dateOnly: true } });
    expect(parseInstant("2026-06-01T14:30")).toEqual({ ok: true, value: { ms: new Date(2026, 5, 1, 14, 30).getTime(), dateOnly: false } });
    expect(parseInstant("2026-06-01T14:30:00Z")).toEqual({ ok: true, value: { ms: Date.UTC(2026, 5, 1, 14, 30), dateOnly: false } });
    expect(parseInstant("2026-06-01T14:30:00+02:00")).toMatchObject({ ok: true, value: { ms: Date.UTC(2026, 5, 1, 12, 30) } });
    for (const bad of ["2026-02-31", "2026-13-01", "yesterday", "06/01/2026", "2026-06-01T25:00"]) expect(parseInstant(bad).ok).toBe(false);
  });

  test("resolvePeriod: default 30 days, --to a date includes that day, and clear errors", () => {
    expect(resolvePeriod({ now: NOW })).toEqual({ ok: true, value: { since: NOW - 30 * DAY, until: NOW, label: "last 30 days" } });
    const week = resolvePeriod({ from: "2026-06-01", to: "2026-06-07", now: NOW });
    expect(week).toEqual({ ok: true, value: { since: new Date(2026, 5, 1).getTime(), until: new Date(2026, 5, 8).getTime(), label: "2026-06-01 to 2026-06-07" } });
    expect(resolvePeriod({ since: "7d", from: "2026-06-01" })).toEqual({ ok: false, message: "use either --since or --from/--to, not both" });
    expect(resolvePeriod({ from: "2026-06-09", to: "2026-06-01" })).toMatchObject({ ok: false, message: expect.stringContaining("must be before") });
    expect(resolvePeriod({ since: "soon" })).toMatchObject({ ok: false, message: expect.stringMatching(/^--since: "soon" is not a duration/) });
    expect(resolvePeriod({ to: "nope" })).toMatchObject({ ok: false, message: expect.stringMatching(/^--to: /) });
    expect(previousPeriod({ since: NOW - 7 * DAY, until: NOW, label: "" })).toEqual({ since: NOW - 14 * DAY, until: NOW - 7 * DAY, label: "the 7 days before" });
  });
});

describe("money and numbers", () => {
  test("exact dollars from micro-dollars, and readable ones", () => {
    expect(usdExact(12_345_678)).toBe("12.345678");
    expect(usdExact(5)).toBe("0.000005");
    expect(usd(1_234_567_890)).toBe("$1,234.57");
    expect(usd(4_200)).toBe("$0.0042");
    expect(usd(52_300)).toBe("$0.05");
    expect(usd(52_300, true)).toBe("$0.0523");
    expect(usd(0)).toBe("$0.00");
  });

  test("unpriced requests are marked, never shown as $0", () => {
    expect(costCell(0, 3, 3)).toBe("unpriced");
    expect(costCell(1_500_000, 4, 1)).toBe("$1.50*");
    expect(costCell(1_500_000, 4, 0)).toBe("$1.50");
  });

  test("compact counts and changes", () => {
    expect([950, 12_345, 4_500_000, 1_200_000_000, 250_000].map(compact)).toEqual(["950", "12.3k", "4.5M", "1.2B", "250k"]);
    expect([change(110, 100), change(90, 100), change(100, 100), change(5, 0), change(0, 0), change(300, 100)]).toEqual(["+10%", "-10%", "0%", "new", "0%", "+200%"]);
  });
});

describe("the text report fits the terminal", () => {
  const store = openStore(":memory:");
  insertRows(store, seedRows());
  const period = { since: NOW - 30 * DAY, until: NOW, label: "last 30 days" };

  for (const by of ["project", "model", "day"] as const) {
    test(`--by ${by} at 120 and 60 columns`, () => {
      const data = buildReport(store, { period, by, vsPrevious: true });
      const wide = renderText(data, 120);
      const narrow = renderText(data, 60);
      for (const [lines, width] of [[wide, 120], [narrow, 60]] as const) {
        for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
      }
      const head = (lines: string[]) => lines.find((l) => l.startsWith(by))!;
      expect(head(wide).split(/\s{2,}/)).toEqual([by, "requests", "in/out", "cache rd", "cache wr", "cost", "vs prev", "hit", "avg", "p95"]);
      expect(head(narrow).split(/\s{2,}/)).toEqual(expect.arrayContaining([by, "cost", "requests"]));
      expect(narrow.some((l) => /^total\s/.test(l))).toBe(true);
      expect(wide.join("\n")).toContain("unpriced requests (not counted as $0)");
      expect(narrow.join(" ").replace(/\s+/g, " ")).toContain("unpriced requests (not counted as $0)");
    });
  }

  test("a provider host's other calls (Claude Code's policy and settings fetches) are counted apart: no row, no request, no latency", () => {
    const own = openStore(":memory:");
    const [llm] = seedRows(1);
    const other = (i: number) => ({ ...llm!, exchangeId: `other-${i}`, endpoint: "other", method: "GET", path: "/api/claude_code/policy_limits", model: null, stream: false, tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 }, costMicros: null, priceStatus: "unmetered" as const, metered: false, latencyMs: 60_000 });
    insertRows(own, [{ ...llm!, latencyMs: 800 }, other(1), other(2)]);
    const data = buildReport(own, { period: { since: NOW - 50 * DAY, until: NOW, label: "" }, by: "model" });
    expect(data.total).toMatchObject({ requests: 1, otherCalls: 2, avgLatencyMs: 800, p95LatencyMs: 800 });
    expect(data.rows.map((r) => r.key)).toEqual(["claude-sonnet-4-5"]);
    const text = renderText(data, 200);
    expect(text.find((l) => l.startsWith("requests"))).toBe("requests  1 (and 2 other calls to the providers, no usage: in no figure here)");
    own.close();
  });

  test("a period with nothing in it says so", () => {
    const data = buildReport(store, { period: { since: NOW + DAY, until: NOW + 2 * DAY, label: "tomorrow" }, by: "project" });
    expect(renderText(data, 80).at(-1)).toBe("No requests in this period.");
  });

  test("self-test canaries stay out unless asked for", () => {
    const hidden = buildReport(store, { period: { since: NOW - 50 * DAY, until: NOW + HOUR, label: "" }, by: "provider" });
    const shown = buildReport(store, { period: { since: NOW - 50 * DAY, until: NOW + HOUR, label: "" }, by: "provider", includeSelfTest: true });
    expect(hidden.rows.map((r) => r.key)).not.toContain("halton-meter");
    expect(shown.rows.map((r) => r.key)).toContain("halton-meter");
    expect(shown.total.requests - hidden.total.requests).toBe(seedRows().filter((r) => r.provider === "halton-meter").length);
  });
});
