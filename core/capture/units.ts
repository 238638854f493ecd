// Units people type and read: ages such as "7d" or "1d12h" on the command line, sizes in output.
// Parse errors are values with a reason a person can act on; the caller makes them usage errors.

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export type DurationResult = { ok: true; ms: number } | { ok: false; reason: string };

export function parseDuration(text: string): DurationResult {
  const s = text.trim().toLowerCase();
  if (s === "") return { ok: false, reason: "an empty duration" };
  const part = /(\d+)([smhdw])/y;
  let ms = 0;
  let at = 0;
  while (at < s.length) {
    part.lastIndex = at;
    const m = part.exec(s);
    if (!m) {
      const hint = /^\d+$/.test(s) ? " (a number needs a unit: s, m, h, d or w)" : "";
      return { ok: false, reason: `"${text}" is not a duration such as 7d, 12h, 30m or 1w${hint}` };
    }
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = part.lastIndex;
  }
  if (!Number.isSafeInteger(ms)) return { ok: false, reason: `"${text}" is too long a duration` };
  return { ok: true, ms };
}

/** "1.2 MB": for humans, powers of 1000 as disks are sold. */
export function formatSize(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}
