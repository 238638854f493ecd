// Exact money arithmetic. A rate of R USD per million tokens is R micro-dollars per token, so a
// kind's cost is tokens × R micros. Rates are carried as bigints scaled by 1e12 (exact for any
// rate written with up to 12 decimals) and rounded to whole micros once, half-up.

export const RATE_SCALE = 10n ** 12n;

/** A per-million-token rate as an exact scaled bigint. Throws on a negative or non-finite rate (a bug: config validation rejects them). */
export function scaledRate(rate: number): bigint {
  if (!Number.isFinite(rate) || rate < 0) throw new RangeError(`invalid price rate: ${rate}`);
  // toFixed prints the decimal the rate was written as (3.75, 0.075), not its binary expansion.
  const [whole = "0", frac = ""] = rate.toFixed(12).split(".");
  return BigInt(whole) * RATE_SCALE + BigInt(frac.padEnd(12, "0"));
}

/** round(numerator / denominator), halves rounded up; both non-negative. */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (2n * numerator + denominator) / (2n * denominator);
}

/** Micros for `tokens` at a scaled rate, before rounding (still scaled by RATE_SCALE). */
export function scaledCost(tokens: number, rate: bigint): bigint {
  return BigInt(tokens) * rate;
}

/** Scaled amount to whole micros, rounded half-up, divided by `divisor` first (2 for batch). */
export function toMicros(scaled: bigint, divisor = 1n): number {
  return Number(roundHalfUp(scaled, RATE_SCALE * divisor));
}
