// Times as people read them next to "now": a span ("2h 14m"), which way it lies ("in 2h 14m",
// "3m ago"), and a local clock time that says the day only when it is not today.

/** "2h 14m", "4d 2h", "45s": the two largest units. */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(Math.abs(ms) / 1000));
  const parts: Array<[number, string]> = [
    [Math.floor(s / 86_400), "d"],
    [Math.floor((s % 86_400) / 3600), "h"],
    [Math.floor((s % 3600) / 60), "m"],
    [s % 60, "s"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return "0s";
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(" ");
}

/** "in 2h 14m", "3m ago", "now". */
export function relative(at: number, now: number): string {
  if (Math.abs(at - now) < 1000) return "now";
  return at > now ? `in ${span(at - now)}` : `${span(now - at)} ago`;
}

const pad = (n: number) => String(n).padStart(2, "0");
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** Local time: "16:40" today, "Mon 09:00" within a week, "2026-12-24 09:00" beyond. */
export function localTime(at: number, now: number): string {
  const d = new Date(at);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return hm;
  if (Math.abs(at - now) < 6 * 86_400_000) return `${WEEKDAYS[d.getDay()]} ${hm}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}
