// The time range a report, the API or the dashboard asks about: `--since 7d`, `--from/--to`,
// the last 30 days by default. Parsing returns errors as values with a message a person can act on.

import { DAY, HOUR, MINUTE, parseDuration } from "../time/duration.ts";

export { DAY, HOUR, MINUTE } from "../time/duration.ts";

export interface Period {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive. */
  until: number;
  /** How a person would say it: "last 7 days", "2026-06-01 to 2026-06-07". */
  label: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** A period's length: any duration `core/time/duration.ts` reads, but not zero. */
export function parsePeriodLength(text: string): Parsed<{ ms: number; label: string }> {
  const d = parseDuration(text);
  if (!d.ok) return d;
  if (d.ms === 0) return { ok: false, message: `"${text}" is a period of no length: use one such as 30m, 24h, 7d or 2w` };
  return { ok: true, value: { ms: d.ms, label: `last ${d.label}` } };
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/** A date (local midnight), a local date and time, or an ISO time with Z or an offset. */
export function parseInstant(text: string): Parsed<{ ms: number; dateOnly: boolean }> {
  const t = text.trim();
  const bad = { ok: false as const, message: `"${text}" is not a date or time: use 2026-06-01, 2026-06-01T14:30 or an ISO time such as 2026-06-01T14:30:00Z` };
  let date: Date;
  let m: RegExpExecArray | null;
  if ((m = DATE_ONLY.exec(t))) date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  else if ((m = LOCAL_TIME.exec(t))) date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(t)) date = new Date(t);
  else return bad;
  // new Date(2026, 1, 31) quietly becomes March 3: a date that does not exist is an error.
  if (Number.isNaN(date.getTime()) || (m && (date.getMonth() !== Number(m[2]) - 1 || date.getDate() !== Number(m[3])))) return bad;
  return { ok: true, value: { ms: date.getTime(), dateOnly: DATE_ONLY.test(t) } };
}

export interface PeriodInput {
  since?: string;
  from?: string;
  to?: string;
  now?: number;
  /** When neither since nor from is given. Default "30d". */
  defaultSince?: string;
}

function stamp(ms: number, dateOnly: boolean): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return dateOnly ? day : `${day} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A --to that is a bare date means the whole of that day. */
function nextLocalMidnight(ms: number): number {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
}

export function resolvePeriod(input: PeriodInput): Parsed<Period> {
  const now = input.now ?? Date.now();
  if (input.since !== undefined && (input.from !== undefined || input.to !== undefined)) {
    return { ok: false, message: "use either --since or --from/--to, not both" };
  }
  if (input.from === undefined && input.to === undefined) {
    const d = parsePeriodLength(input.since ?? input.defaultSince ?? "30d");
    if (!d.ok) return { ok: false, message: `--since: ${d.message}` };
    return { ok: true, value: { since: now - d.value.ms, until: now, label: d.value.label } };
  }
  const from = input.from === undefined ? null : parseInstant(input.from);
  if (from && !from.ok) return { ok: false, message: `--from: ${from.message}` };
  const to = input.to === undefined ? null : parseInstant(input.to);
  if (to && !to.ok) return { ok: false, message: `--to: ${to.message}` };
  const until = to ? (to.value.dateOnly ? nextLocalMidnight(to.value.ms) : to.value.ms) : now;
  const since = from ? from.value.ms : until - 30 * DAY;
  if (since >= until) return { ok: false, message: `--from (${input.from ?? stamp(since, false)}) must be before --to (${input.to ?? "now"})` };
  const label = `${from ? stamp(since, from.value.dateOnly) : stamp(since, false)} to ${to ? stamp(to.value.ms, to.value.dateOnly) : "now"}`;
  return { ok: true, value: { since, until, label } };
}

/** The period of the same length just before this one (for --vs-previous). */
export function previousPeriod(p: Period): Period {
  const length = p.until - p.since;
  return { since: p.since - length, until: p.since, label: `the ${describeLength(length)} before` };
}

export function describeLength(ms: number): string {
  for (const [ms1, word] of [[DAY, "day"], [HOUR, "hour"], [MINUTE, "minute"]] as const) {
    if (ms % ms1 === 0) {
      const n = ms / ms1;
      return n === 1 ? word : `${n} ${word}s`;
    }
  }
  return `${Math.round(ms / MINUTE)} minutes`;
}
