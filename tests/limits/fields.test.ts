import { describe, expect, test } from "bun:test";
import { decimal, epochSecondsMs, flag, goDurationMs, integer, later, nonNegative, rfc3339Ms, small, usedFraction } from "../../core/limits/_fields.ts";

describe("Go durations (OpenAI's x-ratelimit-reset-*)", () => {
  test.each([
    ["6m0s", 360_000], // the OpenAI rate-limits guide's example
    ["1s", 1000],
    ["20ms", 20],
    ["12ms", 12], // community.openai.com capture
    ["1h2m3.5s", 3_723_500],
    ["0", 0],
    ["1.5µs", 0.0015],
    ["2m", 120_000],
  ])("%s is %d ms", (text, ms) => {
    expect(goDurationMs(text)).toBeCloseTo(ms, 6);
  });

  test.each(["", "6m0", "6 minutes", "1d", "m", "-1s", "1s junk", "ms", "1.2.3s"])("%p is not a duration", (text) => {
    expect(goDurationMs(text)).toBeNull();
  });
});

describe("RFC 3339 (Anthropic's anthropic-ratelimit-*-reset)", () => {
  test("a Z time, an offset and fractions", () => {
    expect(rfc3339Ms("2025-08-21T12:40:59Z")).toBe(Date.UTC(2025, 7, 21, 12, 40, 59));
    expect(rfc3339Ms("2025-08-21T14:40:59+02:00")).toBe(Date.UTC(2025, 7, 21, 12, 40, 59));
    expect(rfc3339Ms("2025-08-21t12:40:59.250z")).toBe(Date.UTC(2025, 7, 21, 12, 40, 59, 250));
  });

  test.each(["2025-08-21", "tomorrow", "1755780059", "2025-13-45T99:99:99Z", "2025-08-21T12:40:59"])("%p is not a time", (text) => {
    expect(rfc3339Ms(text)).toBeNull();
  });
});

describe("numbers", () => {
  test("decimals are strict: no hex, no blanks, no trailing words", () => {
    expect(decimal("1e3")).toBe(1000);
    expect(decimal("0.42")).toBe(0.42);
    expect(decimal("0x10")).toBeNull();
    expect(decimal("")).toBeNull();
    expect(decimal("12%")).toBeNull();
    expect(decimal("Infinity")).toBeNull();
    expect(decimal(null)).toBeNull();
  });

  test("negative counts (Azure's -1) are not said; integers are whole", () => {
    expect(nonNegative("-1")).toBeNull();
    expect(nonNegative("0")).toBe(0);
    expect(integer("300")).toBe(300);
    expect(integer("12.5")).toBeNull();
    expect(integer("99999999999999999999")).toBeNull();
  });

  test("Unix seconds become epoch ms; absurd ones are dropped", () => {
    expect(epochSecondsMs("1704069000")).toBe(1_704_069_000_000);
    expect(epochSecondsMs("1e300")).toBeNull();
    expect(epochSecondsMs("-5")).toBeNull();
  });

  test("used fraction from limit and remaining, bounded, only with a positive limit", () => {
    expect(usedFraction(1000, 999)).toBeCloseTo(0.001, 9);
    expect(usedFraction(1000, 2000)).toBe(0);
    expect(usedFraction(0, 0)).toBeNull();
    expect(usedFraction(null, 5)).toBeNull();
  });

  test("a relative reset needs a finite response time", () => {
    expect(later(1000, 20)).toBe(1020);
    expect(later(Number.NaN, 20)).toBeNull();
    expect(later(1000, null)).toBeNull();
  });
});

test("codex booleans read like codex-rs parse_header_bool", () => {
  expect([flag("true"), flag("True"), flag("1"), flag("False"), flag("0"), flag("yes"), flag(null)]).toEqual([true, true, true, false, false, null, null]);
});

test("kept values are capped", () => {
  expect(small("x".repeat(5000))).toHaveLength(200);
  expect(small("allowed")).toBe("allowed");
});
