// Durations people type: "30m", "24h", "7d", "2w", and compounds such as "1d12h". One parser for
// every flag and query parameter that takes one (report --since, bodies purge --older-than, the
// API's since=), so what one accepts the others accept. Errors are values a person can act on.

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

const UNITS: Record<string, { ms: number; word: string }> = {
  s: { ms: SECOND, word: "second" },
  m: { ms: MINUTE, word: "minute" },
  h: { ms: HOUR, word: "hour" },
  d: { ms: DAY, word: "day" },
  w: { ms: WEEK, word: "week" },
};

export type DurationResult = { ok: true; ms: number; label: string } | { ok: false; message: string };

const PART = /(\d{1,9})([smhdw])/y;

/** `label`: how a person says it ("7 days", "day", "1 day 12 hours"). */
export function parseDuration(text: string): DurationResult {
  const s = text.trim().toLowerCase();
  const bad = (why = ""): DurationResult => ({ ok: false, message: `"${text}" is not a duration${why}: use a number and a unit (s, m, h, d or w), such as 30m, 24h, 7d, 2w or 1d12h` });
  if (s === "") return bad();
  const parts: Array<{ n: number; word: string }> = [];
  let ms = 0;
  for (let at = 0; at < s.length; at = PART.lastIndex) {
    PART.lastIndex = at;
    const m = PART.exec(s);
    if (!m) return bad(/^\d+$/.test(s) ? " (a number needs a unit)" : "");
    const unit = UNITS[m[2]!]!;
    parts.push({ n: Number(m[1]), word: unit.word });
    ms += Number(m[1]) * unit.ms;
  }
  if (!Number.isSafeInteger(ms)) return { ok: false, message: `"${text}" is too long a duration` };
  const one = parts.length === 1 && parts[0]!.n === 1;
  const label = one ? parts[0]!.word : parts.map((p) => `${p.n} ${p.word}${p.n === 1 ? "" : "s"}`).join(" ");
  return { ok: true, ms, label };
}
