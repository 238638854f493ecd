// Where a budget's day, week (from Monday) and month begin on the local clock. The time zone is a
// function from an instant to its UTC offset, so tests need no TZ variable and a daylight-saving
// change is only a function whose answer changes at some instant.

export type BudgetPeriod = "day" | "week" | "month";

/** How far the local clock is ahead of UTC at an instant, in ms (3_600_000 for CET, -18_000_000 for EST). */
export type UtcOffset = (epochMs: number) => number;

/** The process's time zone, as `Date` knows it. */
export const processOffset: UtcOffset = (ms) => -new Date(ms).getTimezoneOffset() * 60_000;

const DAY_MS = 86_400_000;

/** The first instant (epoch ms) of the local day, week or calendar month that `nowMs` falls in. */
export function periodStart(period: BudgetPeriod, nowMs: number, offset: UtcOffset = processOffset): number {
  // A "wall" value is the local date and time written as if it were UTC: UTC getters read it.
  const wall = new Date(nowMs + offset(nowMs));
  const y = wall.getUTCFullYear();
  const m = wall.getUTCMonth();
  if (period === "month") return firstInstantOf(Date.UTC(y, m, 1), offset);
  const midnight = Date.UTC(y, m, wall.getUTCDate());
  const sinceMonday = period === "week" ? (wall.getUTCDay() + 6) % 7 : 0;
  return firstInstantOf(midnight - sinceMonday * DAY_MS, offset);
}

/**
 * The first instant whose local time is `wall` or later. When the clocks go back over midnight,
 * midnight happens twice and the first one counts; when they jump over it (Chile, Lebanon and
 * others change at 00:00), the day begins at the jump.
 */
function firstInstantOf(wall: number, offset: UtcOffset): number {
  const early = wall - offset(wall - DAY_MS);
  const late = wall - offset(wall + DAY_MS);
  const exact = [early, late].filter((t) => t + offset(t) === wall);
  if (exact.length > 0) return Math.min(...exact);
  // `wall` fell in a gap: find the jump, the first instant whose local time is past it.
  let lo = Math.min(early, late);
  let hi = Math.max(early, late);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (mid + offset(mid) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}
