// Sizes as people read them in output. (Durations people type: core/time/duration.ts.)

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
