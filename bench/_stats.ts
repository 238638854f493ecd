// Order statistics for the bench tables. Nearest-rank quantiles: no interpolation between samples.

export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export const median = (xs: readonly number[]) => quantile(xs, 0.5);
export const p99 = (xs: readonly number[]) => quantile(xs, 0.99);

/** `n` with `digits` decimals, or "n/a" for a missing measurement. */
export function fmt(n: number | null | undefined, digits = 2): string {
  return n === null || n === undefined || !Number.isFinite(n) ? "n/a" : n.toFixed(digits);
}
