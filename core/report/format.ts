// How numbers read in tables: money from integer micro-dollars, token counts, rates, latencies.

/** Exact decimal dollars from micro-dollars ("12.345678"), for CSV and JSON: no float rounding. */
export function usdExact(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(micros));
  return `${sign}${Math.floor(abs / 1e6)}.${String(abs % 1e6).padStart(6, "0")}`;
}

// Built once: a formatter per call costs a fresh ICU object each time.
const DOLLARS_2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const DOLLARS_4 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 4, maximumFractionDigits: 4 });
const WHOLE = new Intl.NumberFormat("en-US");

/**
 * "$1,234.56"; small amounts keep four decimals so a cheap model does not read as $0.00. `fine`
 * keeps four below a dollar (one request's cost: $0.0523, not $0.05).
 */
export function usd(micros: number, fine = false): string {
  const dollars = micros / 1e6;
  const abs = Math.abs(dollars);
  const format = abs === 0 || abs >= (fine ? 1 : 0.01) ? DOLLARS_2 : DOLLARS_4;
  return `${dollars < 0 ? "-" : ""}$${format.format(abs)}`;
}

/**
 * The cost cell: a priced amount, marked with "*" when some requests in it had no known price;
 * "unpriced" when none did (never "$0.00" for requests we could not price).
 */
export function costCell(micros: number, requests: number, unpriced: number, fine = false): string {
  if (unpriced > 0 && unpriced === requests) return "unpriced";
  return `${usd(micros, fine)}${unpriced > 0 ? "*" : ""}`;
}

/** 950, 12.3k, 4.5M, 1.2B. */
export function compact(n: number): string {
  const abs = Math.abs(n);
  for (const [limit, suffix] of [[1e9, "B"], [1e6, "M"], [1e3, "k"]] as const) {
    if (abs >= limit) {
      const v = n / limit;
      return `${Math.abs(v) >= 100 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, "")}${suffix}`;
    }
  }
  return String(n);
}

export const thousands = (n: number): string => WHOLE.format(n);

export function percent(rate: number | null): string {
  return rate === null ? "-" : `${(rate * 100).toFixed(rate >= 0.995 || rate === 0 ? 0 : 1)}%`;
}

/** 850ms, 1.2s, 2m05s. */
export function duration(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** Signed change against a previous value: "+12%", "-3%", "new" when there was nothing before. */
export function change(now: number, before: number): string {
  if (before === 0) return now === 0 ? "0%" : "new";
  const pct = ((now - before) / before) * 100;
  if (Math.abs(pct) < 0.05) return "0%";
  const rounded = Math.abs(pct) < 10 ? pct.toFixed(1) : pct.toFixed(0);
  return `${pct > 0 ? "+" : ""}${rounded.replace(/\.0$/, "")}%`;
}
