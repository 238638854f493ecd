// The limits view and its text, from stored windows with an injected clock: which windows show,
// in what order, and how each reads (used, reset, pace, where the pace ends up) at any width.

import { describe, expect, test } from "bun:test";
import type { LimitsReport } from "../../core/limits/report.ts";
import { renderLimits } from "../../core/limits/text.ts";
import { usedPercent } from "../../core/limits/words.ts";
import { localTime, relative, span } from "../../core/time/relative.ts";
import { limitsView, STALE_MS } from "../../core/limits/view.ts";
import type { LimitSampleRow, StoredWindow } from "../../core/store/limits.ts";

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

function stored(window: string, samples: Array<[minutesAgo: number, utilization: number | null]>, over: Partial<LimitSampleRow> = {}, account = "aaaaaaaaaaaaaaaa"): StoredWindow {
  const rows = samples.map(([ago, utilization]): LimitSampleRow => ({
    provider: "anthropic", window, kind: "subscription", utilization, limit: null, remaining: null,
    resetsAt: NOW + 2 * HOUR, windowMinutes: null, status: "allowed", observedAt: NOW - ago * MIN, ...over,
  }));
  return { provider: rows[0]!.provider, account, window, kind: rows[0]!.kind, latest: rows.at(-1)!, recent: rows };
}

describe("the view", () => {
  test("pace from the recent samples: 30% an hour with 2h to the reset fills before it", () => {
    const [a] = limitsView([stored("5h", [[60, 0.2], [30, 0.35], [0, 0.5]])], NOW);
    const w = a!.windows[0]!;
    expect(w.utilization).toBeCloseTo(0.5);
    expect(w.burnPerHour).toBeCloseTo(0.3);
    expect(w.fullAt).toBe(NOW + 100 * MIN);
    expect(w.fullBeforeReset).toBe(true);
    expect(w.history).toHaveLength(3);
  });

  test("a window whose reset has passed reads as reset, at 0%, with no status", () => {
    const [a] = limitsView([stored("5h", [[10, 0.8]], { resetsAt: NOW - MIN })], NOW);
    expect(a!.windows[0]).toMatchObject({ resetSinceSeen: true, utilization: 0, status: null, resetsAt: null });
  });

  test("stale windows and past Retry-Afters go; a stale window whose reset is still ahead stays", () => {
    const old = STALE_MS / MIN + 10;
    const view = limitsView(
      [
        stored("5h", [[old, 0.1]], { resetsAt: NOW - HOUR }),
        stored("7d", [[old, 0.3]], { resetsAt: NOW + HOUR }),
        stored("retry-after", [[1, null]], { resetsAt: NOW - 1000, kind: "rate-limit" }),
      ],
      NOW,
    );
    expect(view[0]!.windows.map((w) => w.window)).toEqual(["7d"]);
  });

  test("accounts newest first; windows in reading order, unknown ones after the known", () => {
    const view = limitsView(
      [stored("zeta", [[5, 0.1]]), stored("7d", [[5, 0.1]]), stored("5h", [[5, 0.1]]), stored("unified", [[5, null]]), stored("5h", [[1, 0.9]], {}, "bbbbbbbbbbbbbbbb")],
      NOW,
    );
    expect(view.map((a) => a.account)).toEqual(["bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa"]);
    expect(view[1]!.windows.map((w) => w.window)).toEqual(["unified", "5h", "7d", "zeta"]);
    const lines = renderLimits({ at: NOW, lookbackMs: HOUR, alerts: [], accounts: [{ ...view[1]!, lastClient: null, lastProject: null }] }, 120);
    expect(lines[3]).toMatch(/^ {2}overall /);
  });
});

describe("the text", () => {
  const report = (windows: StoredWindow[]): LimitsReport => ({
    at: NOW,
    lookbackMs: HOUR,
    alerts: [],
    accounts: limitsView(windows, NOW).map((a) => ({ ...a, lastClient: "claude-code", lastProject: "alpha" })),
  });

  test("spans, relative and local times", () => {
    expect([span(0), span(45_000), span(2 * HOUR + 14 * MIN + 5000), span(4 * 24 * HOUR + 2 * HOUR + 3 * MIN)]).toEqual(["0s", "45s", "2h 14m", "4d 2h"]);
    expect([relative(NOW + 90 * MIN, NOW), relative(NOW - 3 * MIN, NOW), relative(NOW + 200, NOW)]).toEqual(["in 1h 30m", "3m ago", "now"]);
    const at = new Date(NOW + 30 * MIN);
    expect(localTime(at.getTime(), NOW)).toMatch(/^(\w{3} )?\d{2}:\d{2}$/);
    expect(localTime(NOW + 30 * 24 * HOUR, NOW)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    expect([usedPercent(0), usedPercent(0.042), usedPercent(0.5), usedPercent(1.02)]).toEqual(["0%", "4.2%", "50%", "102%"]);
  });

  test("a row per window: used, status, reset, pace and outlook", () => {
    const lines = renderLimits(
      report([
        stored("5h", [[60, 0.2], [30, 0.35], [0, 0.5]]),
        stored("7d", [[60, 0.3], [0, 0.3]], { resetsAt: NOW + 3 * 24 * HOUR }),
        stored("tokens", [[0, 0.1]], { kind: "rate-limit", limit: 30000, remaining: 27000, status: null }),
      ]),
      200,
    );
    expect(lines[0]).toBe("Anthropic · account aaaaaaaa · claude-code in alpha · seen now");
    const row = (w: string) => lines.find((l) => l.trimStart().startsWith(`${w} `))!;
    expect(row("5h")).toContain("50%");
    expect(row("5h")).toContain("(in 2h)");
    expect(row("5h")).toContain("+30%/h");
    expect(row("5h")).toContain("(in 1h 40m), before the reset");
    expect(row("7d")).toContain("not filling");
    expect(row("tokens")).toContain("27,000 of 30,000 left");
  });

  test("narrow terminals drop the outlook, then the pace, then the reset; no line is wider than asked once nothing is left to drop", () => {
    const r = report([stored("5h", [[60, 0.2], [0, 0.5]])]);
    for (const width of [200, 90, 70, 50, 40, 30]) {
      const lines = renderLimits(r, width);
      for (const l of lines.slice(1)) expect(l.length).toBeLessThanOrEqual(Math.max(width, 30));
    }
    expect(renderLimits(r, 60).join("\n")).not.toContain("before the reset");
    expect(renderLimits(r, 200).join("\n")).toContain("before the reset");
  });

  test("nothing reported yet says so, and who reports what", () => {
    expect(renderLimits({ at: NOW, lookbackMs: HOUR, alerts: [], accounts: [] }, 80)[0]).toBe("No limits reported yet.");
  });

  test("budget alerts come first, the exceeded ones marked twice", () => {
    const lines = renderLimits({ at: NOW, lookbackMs: HOUR, accounts: [], alerts: [{ kind: "spend", severity: "exceeded", message: "alpha: $5.12 of its $5.00 daily budget (102%)" }, { kind: "window", severity: "warning", message: "anthropic 5h limit: 82% used (alert at 80%)" }] }, 80);
    expect(lines.slice(0, 3)).toEqual(["!! alpha: $5.12 of its $5.00 daily budget (102%)", "!  anthropic 5h limit: 82% used (alert at 80%)", ""]);
  });
});
