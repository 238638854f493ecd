import { describe, expect, test } from "bun:test";
import { DAY, HOUR, MINUTE, parseDuration, SECOND, WEEK } from "../../core/time/duration.ts";

// The one duration parser behind report --since, bodies purge --older-than and the API's since=.

describe("parseDuration", () => {
  test("single units and compounds, any case, spaces around", () => {
    expect(parseDuration("45s")).toEqual({ ok: true, ms: 45 * SECOND, label: "45 seconds" });
    expect(parseDuration("1h")).toEqual({ ok: true, ms: HOUR, label: "hour" });
    expect(parseDuration(" 1D12H ")).toEqual({ ok: true, ms: DAY + 12 * HOUR, label: "1 day 12 hours" });
    expect(parseDuration("1w2d30m")).toEqual({ ok: true, ms: WEEK + 2 * DAY + 30 * MINUTE, label: "1 week 2 days 30 minutes" });
    expect(parseDuration("0d")).toEqual({ ok: true, ms: 0, label: "0 days" });
  });

  test("anything else is refused with a message that shows the form", () => {
    for (const bad of ["", "7", "d", "7x", "-1d", "1.5h", "7 days", "1d 12h", "1d-2h"]) {
      const r = parseDuration(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toStartWith(`"${bad}" is not a duration`);
    }
    const r = parseDuration("7");
    expect(r.ok ? "" : r.message).toContain("(a number needs a unit)");
    expect(parseDuration("999999999w999999999w").ok).toBe(false);
  });
});
