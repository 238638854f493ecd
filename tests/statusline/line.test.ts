// The line from a model, no store: which parts, in which words and colours, and how a narrow bar
// drops them whole.

import { describe, expect, test } from "bun:test";
import type { WindowPace } from "../../core/limits/pace.ts";
import { placeholderLine, statusLine } from "../../core/statusline/line.ts";
import type { LineModel } from "../../core/statusline/model.ts";

const NOW = Date.UTC(2026, 5, 10, 12);
const MINUTE = 60_000;
const pace = (over: Partial<WindowPace> = {}): WindowPace => ({
  utilization: 0.42, status: "allowed", resetsAt: NOW + 134 * MINUTE, observedAt: NOW - MINUTE, resetSinceSeen: false, burnPerHour: null, fullAt: null, fullBeforeReset: null, ...over,
});
const model = (over: Partial<LineModel> = {}): LineModel => ({
  notices: [],
  session: { kind: "metered", cost: { requests: 3, micros: 420_000, unpriced: 0 } },
  todayMicros: 3_100_000,
  windows: [{ name: "5h", pace: pace() }, { name: "7d", pace: pace({ utilization: 0.18, resetsAt: NOW + 3 * 86_400_000 }) }],
  burnMicrosPerHour: 1_200_000,
  ...over,
});
const plain = (m: LineModel, maxWidth: number | null = null) => statusLine(m, { nowMs: NOW, color: false, maxWidth });
const FULL = "◆ $0.42 session · $3.10 today · 5h 42% (resets in 2h 14m) · 7d 18% · $1.20/h";

describe("parts", () => {
  test("the whole line", () => expect(plain(model())).toBe(FULL));

  test("small amounts keep four decimals, large ones their thousands", () => {
    expect(plain(model({ session: { kind: "metered", cost: { requests: 1, micros: 5200, unpriced: 0 } }, todayMicros: 1_234_567_000, windows: [], burnMicrosPerHour: null }))).toBe("◆ $0.0052 session · $1,234.57 today");
  });

  test("a session whose every request went unpriced says so instead of $0.00", () => {
    expect(plain(model({ session: { kind: "metered", cost: { requests: 2, micros: 0, unpriced: 2 } }, windows: [], burnMicrosPerHour: null }))).toBe("◆ unpriced session · $3.10 today");
  });

  test("percents read as in `limits` and the dashboard: a tenth below 10%", () => {
    const windows: LineModel["windows"] = [{ name: "5h", pace: pace({ utilization: 0.042 }) }, { name: "7d", pace: pace({ utilization: 0.996, resetsAt: null }) }];
    expect(plain(model({ windows, burnMicrosPerHour: null }))).toBe("◆ $0.42 session · $3.10 today · 5h 4.2% (resets in 2h 14m) · 7d 100%");
  });

  test("reset windows, a reset a few seconds away, and the pace warning", () => {
    const windows: LineModel["windows"] = [
      { name: "5h", pace: pace({ utilization: 0.9, resetsAt: NOW + 20_000, fullAt: NOW + 5 * MINUTE, fullBeforeReset: false }) },
      { name: "7d", pace: pace({ utilization: 0, resetsAt: null, resetSinceSeen: true }) },
    ];
    expect(plain(model({ windows, burnMicrosPerHour: null }))).toBe("◆ $0.42 session · $3.10 today · 5h 90% (resets now) · 7d reset");
    const filling: LineModel["windows"] = [{ name: "7d", pace: pace({ utilization: 0.81, resetsAt: NOW + 50 * 3_600_000, fullAt: NOW + 28 * 3_600_000 + 20 * MINUTE, fullBeforeReset: true }) }];
    expect(plain(model({ windows: filling, burnMicrosPerHour: null }))).toBe("◆ $0.42 session · $3.10 today · 7d 81% (full in 1d 4h)");
  });

  test("Claude Code's estimate is marked as its own", () => {
    expect(plain(model({ session: { kind: "estimate", usd: 1.37 }, windows: [], burnMicrosPerHour: null }))).toBe("◆ ~$1.37 session (Claude's estimate) · $3.10 today");
  });

  test("notices come first; one carrying a newline or escape cannot break the one line", () => {
    const line = plain(model({ notices: ["daily budget $3 passed", "bad\nnews\x1b[2J", "  "] }));
    expect(line).toBe(`◆ daily budget $3 passed · bad news [2J · ${FULL.slice(2)}`);
  });
});

describe("width", () => {
  test("drops burn, then 7d, today, 5h, session; never a part in the middle; notices last", () => {
    const widths = [FULL.length, FULL.length - 1, 60, 50, 20, 10, 0];
    expect(widths.map((w) => plain(model(), w))).toEqual([
      FULL,
      "◆ $0.42 session · $3.10 today · 5h 42% (resets in 2h 14m) · 7d 18%",
      "◆ $0.42 session · $3.10 today · 5h 42% (resets in 2h 14m)",
      "◆ $0.42 session · 5h 42% (resets in 2h 14m)",
      "◆ $0.42 session",
      "◆",
      "◆",
    ]);
    expect(plain(model({ notices: ["over budget"] }), 16)).toBe("◆ over budget");
    for (let w = 0; w <= FULL.length + 1; w++) expect(Bun.stringWidth(plain(model(), w))).toBeLessThanOrEqual(Math.max(w, 1));
  });

  test("wide characters count two columns", () => {
    const m = model({ notices: ["予算超過"], session: null, windows: [], burnMicrosPerHour: null });
    expect(plain(m)).toBe("◆ 予算超過 · $3.10 today");
    expect(plain(m, 24)).toBe("◆ 予算超過 · $3.10 today");
    expect(plain(m, 23)).toBe("◆ 予算超過");
  });

  test("colour codes take no width", () => {
    const colored = statusLine(model(), { nowMs: NOW, color: true, maxWidth: 60 });
    expect(colored.replace(/\x1b\[[0-9;]*m/g, "")).toBe(plain(model(), 60));
  });
});

describe("colour", () => {
  const sgr = (m: LineModel) => statusLine(m, { nowMs: NOW, color: true, maxWidth: null });
  test("utilization is green, yellow from 70% or the provider's warning, red from 90% or when refused", () => {
    const one = (p: Partial<WindowPace>) => sgr(model({ windows: [{ name: "7d", pace: pace(p) }] }));
    expect(one({ utilization: 0.42 })).toContain("\x1b[32m42%\x1b[39m");
    expect(one({ utilization: 0.7 })).toContain("\x1b[33m70%\x1b[39m");
    expect(one({ utilization: 0.5, status: "allowed_warning" })).toContain("\x1b[33m50%\x1b[39m");
    expect(one({ utilization: 0.9 })).toContain("\x1b[31m90%\x1b[39m");
    expect(one({ utilization: 1, status: "rejected" })).toContain("\x1b[31m100%\x1b[39m");
  });

  test("the placeholder", () => {
    expect(placeholderLine("no data yet", { color: false, maxWidth: null })).toBe("◆ meter: no data yet");
    expect(placeholderLine("no data yet", { color: true, maxWidth: null })).toBe("\x1b[36m◆\x1b[39m \x1b[2mmeter: no data yet\x1b[22m");
    expect(placeholderLine("no data yet", { color: false, maxWidth: 5 })).toBe("◆");
  });
});
