import { describe, expect, test } from "bun:test";
import { periodStart, processOffset, type UtcOffset } from "../../core/budgets/period.ts";

// Local day, week (from Monday) and month starts, with the time zone passed in as a function.

const HOUR = 3_600_000;
const fixed = (hours: number): UtcOffset => () => hours * HOUR;
/** A zone whose offset is `before` hours until `at`, then `after` hours. */
const changing = (at: number, before: number, after: number): UtcOffset => (ms) => (ms < at ? before : after) * HOUR;
const utc = (iso: string) => Date.parse(iso);

describe("periodStart at a fixed offset", () => {
  test("UTC: a Wednesday afternoon's day, week and month", () => {
    const now = utc("2026-06-10T15:30:00Z"); // a Wednesday
    expect(periodStart("day", now, fixed(0))).toBe(utc("2026-06-10T00:00:00Z"));
    expect(periodStart("week", now, fixed(0))).toBe(utc("2026-06-08T00:00:00Z"));
    expect(periodStart("month", now, fixed(0))).toBe(utc("2026-06-01T00:00:00Z"));
  });

  test("ahead of UTC: Sunday evening in UTC is already Monday in Tokyo", () => {
    const now = utc("2026-06-07T20:00:00Z"); // Monday 2026-06-08 05:00 at +9
    expect(periodStart("day", now, fixed(9))).toBe(utc("2026-06-07T15:00:00Z"));
    expect(periodStart("week", now, fixed(9))).toBe(utc("2026-06-07T15:00:00Z"));
    expect(periodStart("month", now, fixed(9))).toBe(utc("2026-05-31T15:00:00Z"));
  });

  test("behind UTC: early March in UTC is still February at -5", () => {
    const now = utc("2026-03-01T03:00:00Z"); // Saturday 2026-02-28 22:00 at -5
    expect(periodStart("day", now, fixed(-5))).toBe(utc("2026-02-28T05:00:00Z"));
    expect(periodStart("week", now, fixed(-5))).toBe(utc("2026-02-23T05:00:00Z"));
    expect(periodStart("month", now, fixed(-5))).toBe(utc("2026-02-01T05:00:00Z"));
  });

  test("a Sunday belongs to the week that began the Monday before", () => {
    expect(periodStart("week", utc("2026-06-14T23:59:59.999Z"), fixed(0))).toBe(utc("2026-06-08T00:00:00Z"));
  });

  test("the first millisecond of a period starts it; the one before belongs to the last", () => {
    const monday = utc("2026-06-01T00:00:00Z"); // a Monday and the 1st
    for (const p of ["day", "week", "month"] as const) expect(periodStart(p, monday, fixed(0))).toBe(monday);
    expect(periodStart("day", monday - 1, fixed(0))).toBe(utc("2026-05-31T00:00:00Z"));
    expect(periodStart("week", monday - 1, fixed(0))).toBe(utc("2026-05-25T00:00:00Z"));
    expect(periodStart("month", monday - 1, fixed(0))).toBe(utc("2026-05-01T00:00:00Z"));
  });

  test("a half-hour zone (India, +5:30)", () => {
    expect(periodStart("day", utc("2026-06-10T20:00:00Z"), () => 5.5 * HOUR)).toBe(utc("2026-06-10T18:30:00Z"));
  });
});

describe("periodStart across a daylight-saving change", () => {
  // Central Europe: +1 until 2026-03-29 01:00 UTC, +2 after.
  const berlin = changing(utc("2026-03-29T01:00:00Z"), 1, 2);

  test("the day of the change began at +1; the day after at +2", () => {
    expect(periodStart("day", utc("2026-03-29T12:00:00Z"), berlin)).toBe(utc("2026-03-28T23:00:00Z"));
    expect(periodStart("day", utc("2026-03-30T12:00:00Z"), berlin)).toBe(utc("2026-03-29T22:00:00Z"));
  });

  test("a week and a month that began before the change keep their start", () => {
    expect(periodStart("week", utc("2026-03-29T12:00:00Z"), berlin)).toBe(utc("2026-03-22T23:00:00Z"));
    expect(periodStart("month", utc("2026-03-31T12:00:00Z"), berlin)).toBe(utc("2026-02-28T23:00:00Z"));
    expect(periodStart("month", utc("2026-04-02T12:00:00Z"), berlin)).toBe(utc("2026-03-31T22:00:00Z"));
  });

  test("clocks that jump over midnight: the day begins at the jump", () => {
    // -4 until local midnight (04:00 UTC), then -3: local time goes 23:59:59 -> 01:00.
    const jump = utc("2026-09-06T04:00:00Z");
    const zone = changing(jump, -4, -3);
    expect(periodStart("day", utc("2026-09-06T15:00:00Z"), zone)).toBe(jump);
    expect(periodStart("day", jump, zone)).toBe(jump);
    expect(periodStart("day", jump - 1, zone)).toBe(utc("2026-09-05T04:00:00Z"));
  });

  test("clocks that go back over midnight: the first midnight starts the day", () => {
    // -3 until 01:00 local (04:00 UTC), then -4: local time goes 00:59:59 -> 00:00 again.
    const zone = changing(utc("2026-04-05T04:00:00Z"), -3, -4);
    const firstMidnight = utc("2026-04-05T03:00:00Z");
    expect(periodStart("day", utc("2026-04-05T12:00:00Z"), zone)).toBe(firstMidnight);
    expect(periodStart("day", utc("2026-04-05T04:30:00Z"), zone)).toBe(firstMidnight);
  });
});

test("the process's own zone agrees with Date's local midnight", () => {
  // 2026-09-06 is the day Chile's clocks jump from midnight to 01:00 (run with TZ=America/Santiago).
  for (const now of [utc("2026-01-15T12:00:00Z"), utc("2026-07-15T03:00:00Z"), utc("2026-09-06T15:00:00Z"), utc("2026-10-31T23:30:00Z")]) {
    const d = new Date(now);
    expect(periodStart("day", now, processOffset)).toBe(new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime());
    expect(periodStart("month", now)).toBe(new Date(d.getFullYear(), d.getMonth(), 1).getTime());
    const monday = new Date(d.getFullYear(), d.getMonth(), d.getDate() - ((d.getDay() + 6) % 7)).getTime();
    expect(periodStart("week", now)).toBe(monday);
  }
});
