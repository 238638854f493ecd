// How fast one limit window is filling, from its recent samples: where it stands, how much it
// gains per hour, and whether it fills before it resets. Pure: the time comes in as `nowMs`.

export interface LimitSample {
  /** Epoch ms the sample was observed. */
  at: number;
  /** Fraction used, 0..1 (a little over 1 in overage). */
  utilization: number | null;
  /** Epoch ms. */
  resetsAt: number | null;
  status: string | null;
}

export interface WindowPace {
  /** The latest known in the current window; 0 once the window has reset since it was seen. */
  utilization: number | null;
  /** As the provider last said; null once the window has reset since (that verdict was about the old one). */
  status: string | null;
  /** Null when unknown or passed. */
  resetsAt: number | null;
  /** The latest sample's time. */
  observedAt: number;
  /** The latest sample's resetsAt is at or before now. */
  resetSinceSeen: boolean;
  /** Utilization (fraction) gained per hour over the lookback, in the current window only; a fall reads 0. */
  burnPerHour: number | null;
  /** When utilization reaches 1.0 at that rate: `now` when already there, null when not rising or unknown. */
  fullAt: number | null;
  /** fullAt < resetsAt; null when either is unknown. */
  fullBeforeReset: boolean | null;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Providers round their reset times; two within this are the same window's. */
const RESET_TOLERANCE_MS = MINUTE;
/** A fall in utilization by more than this (beyond rounding noise) means the window restarted. */
const DROP_TOLERANCE = 0.005;
/** Two samples closer than this say nothing about a rate. */
const MIN_SPAN_MS = MINUTE;

const finiteOrNull = (v: number | null): boolean => v === null || Number.isFinite(v);

function sameReset(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= RESET_TOLERANCE_MS;
}

/** The latest samples that belong to the latest sample's window, oldest first. */
function currentWindow(sorted: readonly LimitSample[]): LimitSample[] {
  const latest = sorted[sorted.length - 1]!;
  const run: LimitSample[] = [latest];
  let later = latest.utilization;
  for (let i = sorted.length - 2; i >= 0; i--) {
    const s = sorted[i]!;
    if (!sameReset(s.resetsAt, latest.resetsAt)) break;
    if (s.utilization !== null && later !== null && s.utilization - later > DROP_TOLERANCE) break;
    run.push(s);
    if (s.utilization !== null) later = s.utilization;
  }
  return run.reverse();
}

/**
 * Least squares rather than the endpoints: providers round utilization (Anthropic to whole
 * percents), so a slope from two samples swings with where the rounding fell; the fit uses them all.
 * Per hour; null without two samples at least a minute apart. Within one window utilization only
 * rises, so a falling fit is rounding noise and reads 0.
 */
function slopePerHour(points: readonly LimitSample[]): number | null {
  const known = points.filter((p) => p.utilization !== null);
  if (known.length < 2) return null;
  const first = known[0]!.at;
  if (known[known.length - 1]!.at - first < MIN_SPAN_MS) return null;
  // Times relative to the first sample, in hours, keep the sums well within float precision.
  const xs = known.map((p) => (p.at - first) / HOUR);
  const ys = known.map((p) => p.utilization!);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return Math.max(0, sxy / sxx);
}

/** Null for no (usable) samples. Samples may come in any order. */
export function paceOf(samples: readonly LimitSample[], nowMs: number, opts: { lookbackMs?: number } = {}): WindowPace | null {
  const lookbackMs = opts.lookbackMs ?? HOUR;
  const usable = samples.filter((s) => Number.isFinite(s.at) && finiteOrNull(s.utilization) && finiteOrNull(s.resetsAt));
  if (usable.length === 0) return null;
  const sorted = [...usable].sort((a, b) => a.at - b.at);
  const latest = sorted[sorted.length - 1]!;
  const window = currentWindow(sorted);

  const resetSinceSeen = latest.resetsAt !== null && latest.resetsAt <= nowMs;
  if (resetSinceSeen) {
    // The samples describe a window that is over; the new one has not been seen yet.
    return { utilization: 0, status: null, resetsAt: null, observedAt: latest.at, resetSinceSeen, burnPerHour: null, fullAt: null, fullBeforeReset: null };
  }

  const utilization = [...window].reverse().find((s) => s.utilization !== null)?.utilization ?? null;
  const burnPerHour = slopePerHour(window.filter((s) => s.at >= nowMs - lookbackMs));
  const fullAt = fullTime(utilization, burnPerHour, nowMs);
  const resetsAt = latest.resetsAt;
  return {
    utilization,
    status: latest.status,
    resetsAt,
    observedAt: latest.at,
    resetSinceSeen,
    burnPerHour,
    fullAt,
    fullBeforeReset: fullAt === null || resetsAt === null ? null : fullAt < resetsAt,
  };
}

/**
 * Projected from now, not from the last sample: utilization moves only with requests, and the
 * proxy samples every one, so the time since the last sample was (as far as it knows) idle.
 */
function fullTime(utilization: number | null, burnPerHour: number | null, nowMs: number): number | null {
  if (utilization === null) return null;
  if (utilization >= 1) return nowMs;
  if (burnPerHour === null || burnPerHour <= 0) return null;
  return Math.round(nowMs + ((1 - utilization) / burnPerHour) * HOUR);
}
