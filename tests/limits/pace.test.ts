// The pace of one limit window, told as a sequence of samples the proxy saw and what it makes of
// them at a given now. No clock: every time is an offset from NOW.

import { describe, expect, test } from "bun:test";
import { paceOf, type LimitSample } from "../../core/limits/pace.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2026, 5, 20, 14, 0);
const RESET = NOW + 2 * HOUR;

/** A sample `ago` minutes before NOW, its window resetting at `resetsAt`. */
const seen = (ago: number, utilization: number | null, resetsAt: number | null = RESET, status: string | null = "allowed"): LimitSample => ({
  at: NOW - ago * MIN,
  utilization,
  resetsAt,
  status,
});

describe("paceOf", () => {
  test("nothing seen, or nothing usable: no pace", () => {
    expect(paceOf([], NOW)).toBeNull();
    expect(paceOf([{ at: Number.NaN, utilization: 0.2, resetsAt: RESET, status: null }, seen(5, Number.POSITIVE_INFINITY)], NOW)).toBeNull();
  });

  test("a steady climb: 0.2 -> 0.5 over the last hour burns 0.3/h and fills 100 minutes from now, before the reset", () => {
    const pace = paceOf([seen(60, 0.2), seen(40, 0.3), seen(20, 0.4), seen(0, 0.5)], NOW)!;
    expect(pace).toMatchObject({ utilization: 0.5, status: "allowed", resetsAt: RESET, observedAt: NOW, resetSinceSeen: false, fullBeforeReset: true });
    expect(pace.burnPerHour).toBeCloseTo(0.3, 10);
    expect(pace.fullAt).toBe(NOW + 100 * MIN);
  });

  test("samples in any order read the same", () => {
    const inOrder = [seen(60, 0.2), seen(40, 0.3), seen(20, 0.4), seen(0, 0.5)];
    const shuffled = [inOrder[2]!, inOrder[0]!, inOrder[3]!, inOrder[1]!];
    expect(paceOf(shuffled, NOW)).toEqual(paceOf(inOrder, NOW)!);
  });

  test("the rate is a least-squares fit, not the endpoints: rounded steps 11,11,13,13% read 2.4%/h, not 2%/h", () => {
    const pace = paceOf([seen(60, 0.11), seen(40, 0.11), seen(20, 0.13), seen(0, 0.13)], NOW)!;
    expect(pace.burnPerHour).toBeCloseTo(0.024, 10);
  });

  test("slow enough to outlast the window: full after the reset", () => {
    const pace = paceOf([seen(60, 0.5), seen(0, 0.6)], NOW)!;
    expect(pace.fullAt).toBe(NOW + 4 * HOUR);
    expect(pace.fullBeforeReset).toBe(false);
  });

  test("a new resetsAt starts a new window: the old window's 90% does not count against the new one", () => {
    const oldReset = NOW - 10 * MIN;
    const pace = paceOf([seen(50, 0.85, oldReset), seen(40, 0.9, oldReset), seen(30, 0.05), seen(0, 0.1)], NOW)!;
    expect(pace.utilization).toBe(0.1);
    expect(pace.burnPerHour).toBeCloseTo(0.1, 10);
  });

  test("a fall of more than half a percent starts a new window even when the reset reads the same", () => {
    const pace = paceOf([seen(50, 0.4, null), seen(30, 0.02, null), seen(0, 0.07, null)], NOW)!;
    expect(pace.burnPerHour).toBeCloseTo(0.1, 10);
    expect(pace.resetsAt).toBeNull();
    expect(pace.fullBeforeReset).toBeNull();
  });

  test("rounding jitter stays in one window: a 0.4% dip, and resets 30 s apart", () => {
    const dip = paceOf([seen(60, 0.3), seen(30, 0.296), seen(0, 0.4)], NOW)!;
    // Fit through (0, .3), (.5, .296), (1, .4): slope = ((-.5)(-.032) + (.5)(.068)) / .5 = .1.
    expect(dip.burnPerHour).toBeCloseTo(0.1, 10);
    const jitter = paceOf([seen(60, 0.2, RESET + 30_000), seen(0, 0.5, RESET)], NOW)!;
    expect(jitter.burnPerHour).toBeCloseTo(0.3, 10);
    const moved = paceOf([seen(60, 0.2, RESET + 2 * MIN), seen(0, 0.5, RESET)], NOW)!;
    expect(moved.burnPerHour).toBeNull();
  });

  test("a slight fall within one window is noise: burn 0, never full", () => {
    const pace = paceOf([seen(60, 0.3), seen(30, 0.297), seen(0, 0.294)], NOW)!;
    expect(pace.burnPerHour).toBe(0);
    expect(pace.fullAt).toBeNull();
    expect(pace.fullBeforeReset).toBeNull();
  });

  test("a rate needs two samples a minute apart, inside the lookback", () => {
    expect(paceOf([seen(0, 0.5)], NOW)).toMatchObject({ utilization: 0.5, burnPerHour: null, fullAt: null, fullBeforeReset: null });
    expect(paceOf([seen(0.5, 0.4), seen(0, 0.5)], NOW)!.burnPerHour).toBeNull();
    const old = [seen(120, 0.1), seen(0, 0.5)];
    expect(paceOf(old, NOW)!.burnPerHour).toBeNull();
    expect(paceOf(old, NOW, { lookbackMs: 3 * HOUR })!.burnPerHour).toBeCloseTo(0.2, 10);
  });

  test("the window reset since it was last seen: 0 used, no reset known, no rate", () => {
    const pace = paceOf([seen(90, 0.8, NOW - 5 * MIN, "allowed_warning"), seen(60, 0.95, NOW - 5 * MIN, "rejected")], NOW);
    expect(pace).toEqual({
      utilization: 0,
      status: null,
      resetsAt: null,
      observedAt: NOW - 60 * MIN,
      resetSinceSeen: true,
      burnPerHour: null,
      fullAt: null,
      fullBeforeReset: null,
    });
    expect(paceOf([seen(10, 0.5, NOW)], NOW)!.resetSinceSeen).toBe(true);
  });

  test("already over (overage): full now, whatever the rate", () => {
    const pace = paceOf([seen(0, 1.02, RESET, "rejected")], NOW)!;
    expect(pace).toMatchObject({ utilization: 1.02, status: "rejected", burnPerHour: null, fullAt: NOW, fullBeforeReset: true });
  });

  test("a sample without utilization keeps the latest known one; a broken sample is skipped", () => {
    const pace = paceOf([seen(30, 0.2), seen(10, 0.3), seen(5, null, RESET, "allowed_warning"), { ...seen(0, 0.9), resetsAt: Number.NaN }], NOW)!;
    expect(pace).toMatchObject({ utilization: 0.3, status: "allowed_warning", observedAt: NOW - 5 * MIN });
    expect(pace.burnPerHour).toBeCloseTo(0.3, 10);
  });
});
