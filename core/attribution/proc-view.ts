// The real ProcessView: /proc on Linux. Every read may fail (the process left, another user).

import { existsSync, readFileSync, readlinkSync } from "node:fs";
import type { ProcessView } from "./project.ts";

export const procView: ProcessView = {
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
  readFile(path) {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return null;
    }
  },
  exists: (path) => existsSync(path),
};
