// Billing blocks, told as a day of requests (UTC clock times on one date) and the blocks they
// make. Each block is summed up as "<kind> <start>-<end> <requests>r" so a day reads at a glance.

import { describe, expect, test } from "bun:test";
import { blocksOf, type Block, type BlockEntry } from "../../core/report/blocks.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY0 = Date.UTC(2026, 5, 20);

/** "10:25" on the test day (24:30 is half past midnight the next). */
const t = (clock: string): number => {
  const [h, m] = clock.split(":").map(Number);
  return DAY0 + h! * HOUR + m! * MIN;
};
const entry = (clock: string, tokens = 100, costMicros = 1_000, requests?: number): BlockEntry => ({
  at: t(clock),
  tokens,
  costMicros,
  ...(requests !== undefined && { requests }),
});
const hhmm = (ms: number): string => {
  const minutes = Math.round((ms - DAY0) / MIN);
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
};
const shape = (blocks: Block[]): string[] =>
  blocks.map((b) => `${b.kind} ${hhmm(b.start)}-${hhmm(b.end)} ${b.requests}r${b.active ? " active" : ""}`);
const LATER = t("48:00");

describe("estimated blocks (ccusage's rule)", () => {
  test("no requests, no blocks", () => {
    expect(blocksOf([], { nowMs: LATER })).toEqual([]);
  });

  test("one request: a block from its hour, five hours long, with its totals", () => {
    const [b, ...rest] = blocksOf([entry("10:25", 1234, 5_678)], { nowMs: LATER });
    expect(rest).toEqual([]);
    expect(b).toEqual({ start: t("10:00"), end: t("15:00"), kind: "estimated", active: false, first: t("10:25"), last: t("10:25"), requests: 1, tokens: 1234, costMicros: 5_678 });
  });

  test("a request at the block's start + 5h opens the next block; one just before stays", () => {
    const blocks = blocksOf([entry("10:25"), entry("14:59"), entry("15:00"), entry("15:30")], { nowMs: LATER });
    expect(shape(blocks)).toEqual(["estimated 10:00-15:00 2r", "estimated 15:00-20:00 2r"]);
    expect(blocks.map((b) => [b.first, b.last])).toEqual([[t("10:25"), t("14:59")], [t("15:00"), t("15:30")]]);
  });

  test("more than 5h with nothing: a gap block covers the time between the two blocks", () => {
    const blocks = blocksOf([entry("10:00"), entry("11:00"), entry("17:30")], { nowMs: LATER });
    expect(shape(blocks)).toEqual(["estimated 10:00-15:00 2r", "gap 15:00-17:00 0r", "estimated 17:00-22:00 1r"]);
    expect(blocks[1]).toMatchObject({ first: null, last: null, tokens: 0, costMicros: 0 });
  });

  test("idle time under 5h leaves no gap block even when the blocks do not touch; idle over 5h with nothing between leaves none either", () => {
    expect(shape(blocksOf([entry("10:00"), entry("14:50"), entry("16:10")], { nowMs: LATER }))).toEqual([
      "estimated 10:00-15:00 2r",
      "estimated 16:00-21:00 1r",
    ]);
    const justOver = blocksOf([entry("10:00"), { ...entry("15:00"), at: t("15:00") + 1_000 }], { nowMs: LATER });
    expect(shape(justOver)).toEqual(["estimated 10:00-15:00 1r", "estimated 15:00-20:00 1r"]);
  });

  test("input in any order, and broken entries, change nothing", () => {
    const day = [entry("10:25"), entry("11:40", 50, 500, 3), entry("17:30"), entry("19:00")];
    const shuffled = [day[2]!, day[0]!, { at: Number.NaN, tokens: 1, costMicros: 1 }, day[3]!, day[1]!, { ...entry("12:00"), costMicros: Number.POSITIVE_INFINITY }];
    expect(blocksOf(shuffled, { nowMs: LATER })).toEqual(blocksOf(day, { nowMs: LATER }));
    expect(shape(blocksOf(day, { nowMs: LATER }))).toEqual(["estimated 10:00-15:00 4r", "gap 15:00-17:00 0r", "estimated 17:00-22:00 2r"]);
  });
});

describe("reported windows", () => {
  test("a reset R makes [R - 5h, R); requests around it are estimated, and never reach into it", () => {
    const blocks = blocksOf([entry("11:30"), entry("16:00"), entry("19:59"), entry("20:00")], { nowMs: LATER, reportedResets: [t("20:00")] });
    expect(shape(blocks)).toEqual(["estimated 11:00-15:00 1r", "reported 15:00-20:00 2r", "estimated 20:00-25:00 1r"]);
  });

  test("off the hour: the block after a reported window starts at its end, not its hour", () => {
    const blocks = blocksOf([entry("16:00"), entry("20:40")], { nowMs: LATER, reportedResets: [t("20:30")] });
    expect(shape(blocks)).toEqual(["reported 15:30-20:30 1r", "estimated 20:30-25:30 1r"]);
  });

  test("the same reset seen again and again, rounded a few seconds apart, is one window (the later reading)", () => {
    const r = t("20:00");
    const blocks = blocksOf([entry("16:00")], { nowMs: LATER, reportedResets: [r + 30_000, r, r, r + 59_000, Number.NaN] });
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({ kind: "reported", start: r + 59_000 - 5 * HOUR, end: r + 59_000, requests: 1 });
  });

  test("a reset that moved: the later window wins, the earlier ends where it begins, no request counted twice", () => {
    const day = [entry("10:30"), entry("12:00"), entry("14:30"), entry("15:30")];
    const blocks = blocksOf(day, { nowMs: LATER, reportedResets: [t("15:00"), t("16:00")] });
    expect(shape(blocks)).toEqual(["reported 10:00-11:00 1r", "reported 11:00-16:00 3r"]);
    expect(blocks.reduce((n, b) => n + b.requests, 0)).toBe(day.length);
  });

  test("a window the provider reported but these entries never used is still a block, with nothing in it", () => {
    expect(blocksOf([], { nowMs: LATER, reportedResets: [t("20:00")] })).toEqual([
      { start: t("15:00"), end: t("20:00"), kind: "reported", active: false, first: null, last: null, requests: 0, tokens: 0, costMicros: 0 },
    ]);
  });

  test("reported and estimated together, with a gap, come out sorted by start", () => {
    const blocks = blocksOf([entry("23:10"), entry("02:00"), entry("16:30")], { nowMs: LATER, reportedResets: [t("05:00")] });
    expect(shape(blocks)).toEqual(["reported 00:00-05:00 1r", "gap 05:00-16:00 0r", "estimated 16:00-21:00 1r", "gap 21:00-23:00 0r", "estimated 23:00-28:00 1r"]);
  });
});

describe("the active block", () => {
  test("projection: 6,000 tokens and 180,000 micro-dollars over 10:30..12:30, at 13:00 with two hours left", () => {
    const day = [entry("10:30", 1_000, 30_000), entry("11:00", 2_000, 60_000), entry("12:30", 3_000, 90_000)];
    const [b] = blocksOf(day, { nowMs: t("13:00") });
    expect(b).toMatchObject({ kind: "estimated", active: true, tokens: 6_000, costMicros: 180_000 });
    // 6,000 tokens / 120 min = 50/min; 180,000 µ$ / 2 h = 90,000 µ$/h; 120 min left to 15:00.
    expect(b!.burn).toEqual({ tokensPerMinute: 50, costMicrosPerHour: 90_000, projectedTokens: 6_000 + 50 * 120, projectedCostMicros: 180_000 + 90_000 * 2 });
  });

  test("rates that do not divide evenly: micro-dollars come out whole, projected from the unrounded rate", () => {
    const day = [entry("10:10", 3, 40_000), entry("13:10", 4, 60_000)];
    const [b] = blocksOf(day, { nowMs: t("14:00") });
    // 100,000 µ$ / 3 h = 33,333.3/h; one hour left: 133,333.3 -> 133,333. 7 tokens / 180 min; 7 + 7/3 = 9.33 -> 9.
    expect(b!.burn).toEqual({ tokensPerMinute: 7 / 180, costMicrosPerHour: 33_333, projectedTokens: 9, projectedCostMicros: 133_333 });
  });

  test("a reported window is active until its reset, and projects to it", () => {
    const blocks = blocksOf([entry("11:00"), entry("15:30", 10, 1_000), entry("16:30", 20, 1_000)], { nowMs: t("17:00"), reportedResets: [t("20:00")] });
    expect(shape(blocks)).toEqual(["estimated 11:00-15:00 1r", "reported 15:00-20:00 2r active"]);
    expect(blocks[1]!.burn).toEqual({ tokensPerMinute: 0.5, costMicrosPerHour: 2_000, projectedTokens: 30 + 90, projectedCostMicros: 2_000 + 6_000 });
    expect(blocks[0]!.burn).toBeUndefined();
  });

  test("one request, or none, gives no rate; past its end a block is not active; a gap never is", () => {
    const [single] = blocksOf([entry("10:25")], { nowMs: t("12:00") });
    expect(single).toMatchObject({ active: true });
    expect(single!.burn).toBeUndefined();
    const [empty] = blocksOf([], { nowMs: t("16:00"), reportedResets: [t("20:00")] });
    expect(empty).toMatchObject({ active: true, requests: 0 });
    expect(empty!.burn).toBeUndefined();
    expect(blocksOf([entry("10:25")], { nowMs: t("15:00") })[0]!.active).toBe(false);
    const withGap = blocksOf([entry("10:00"), entry("20:00")], { nowMs: t("16:00") });
    expect(shape(withGap)).toEqual(["estimated 10:00-15:00 1r", "gap 15:00-20:00 0r", "estimated 20:00-25:00 1r"]);
  });

  test("a shorter block length, for a provider whose window is not 5h", () => {
    const blocks = blocksOf([entry("10:20"), entry("11:05"), entry("13:30")], { nowMs: LATER, blockMs: HOUR });
    expect(shape(blocks)).toEqual(["estimated 10:00-11:00 1r", "estimated 11:00-12:00 1r", "gap 12:00-13:00 0r", "estimated 13:00-14:00 1r"]);
  });
});
