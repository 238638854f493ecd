import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** The last `lines` lines of a log (reading at most the last 64 KiB), or [] when it is absent. */
export function tailLines(file: string, lines = 20): string[] {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const want = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(want);
    readSync(fd, buf, 0, want, size - want);
    const text = buf.toString("utf8").replace(/\n+$/, "");
    if (text === "") return [];
    const all = text.split("\n");
    return all.slice(want < size ? Math.max(1, all.length - lines) : Math.max(0, all.length - lines));
  } finally {
    closeSync(fd);
  }
}
