// The leaf key every per-host certificate shares, kept on disk beside the CA key (0600): making
// an RSA 2048 key costs 50 to 700 ms on a small machine, and paying that at every daemon start
// put exec-to-healthy far above what a restart should cost. The key is derived material, not
// data: a file that is not a usable RSA key is replaced with a fresh one.

import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../fs/atomic.ts";
import { generateLeafKeys, type LeafKeys, leafKeysFromPem } from "./_leaf-cert.ts";
import { TlsError } from "./errors.ts";

export function loadOrCreateLeafKeys(path: string): { keys: LeafKeys; created: boolean } {
  if (existsSync(path)) {
    try {
      return { keys: leafKeysFromPem(readFileSync(path, "utf8")), created: false };
    } catch {
      // Unreadable or not a key: made anew below.
    }
  }
  const keys = generateLeafKeys();
  try {
    writeFileAtomic(path, keys.keyPem, 0o600);
  } catch (cause) {
    throw new TlsError("write-failed", `cannot write the leaf key ${path}: ${(cause as Error).message}`, "it must be a file you can write (not a directory); move whatever is there aside", { cause });
  }
  return { keys, created: true };
}
