// The real ProcessView: /proc on Linux. Every read may fail (the process left, another user).
// The files it reads are anybody's: a `.haltonrc` may be a FIFO (an open for reading would wait
// for a writer forever), a device or a huge file. Only a regular file of at most MAX_RC_BYTES is
// read, and the FIFO check is made on the opened descriptor, so a swap after a stat cannot fool it.

import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync, readlinkSync, readSync } from "node:fs";
import type { ProcessView } from "./project.ts";

export const MAX_RC_BYTES = 64 * 1024;

/** `notes` hears why a file was passed over. */
export function procView(notes: (why: string) => void = () => {}): ProcessView {
  return {
    environ(pid) {
      try {
        const env: Record<string, string> = {};
        for (const kv of readFileSync(`/proc/${pid}/environ`, "latin1").split("\0")) {
          const eq = kv.indexOf("=");
          if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
        }
        return env;
      } catch {
        return null;
      }
    },
    cwd(pid) {
      try {
        return readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        return null;
      }
    },
    readFile: (path) => readSmallRegularFile(path, notes),
    exists: (path) => existsSync(path),
  };
}

function readSmallRegularFile(path: string, notes: (why: string) => void): string | null {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return null; // absent or unreadable: the common case, not worth a note
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      notes(`${path} is not a regular file (a FIFO, device or folder): ignored`);
      return null;
    }
    if (st.size > MAX_RC_BYTES) {
      notes(`${path} is ${st.size} bytes, over the ${MAX_RC_BYTES}-byte limit: ignored`);
      return null;
    }
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n <= 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString("utf8");
  } catch (err) {
    notes(`${path} cannot be read (${(err as Error).message}): ignored`);
    return null;
  } finally {
    closeSync(fd);
  }
}
