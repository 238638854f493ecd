// The system proxy as it was before full mode changed it: every network service's web and
// secure-web proxy, kept in system-proxy-snapshot.json so uninstall can put them back.

import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../core/fs/atomic.ts";
import type { ProxyKind, ProxySetting } from "./networksetup.ts";

export interface ProxySnapshot {
  version: 1;
  taken_at: string;
  /** The edge port we pointed the services at. */
  port: number;
  services: Record<string, Record<ProxyKind, ProxySetting>>;
}

const snapshotPath = (home: string) => join(home, "system-proxy-snapshot.json");

export function readSnapshot(home: string): ProxySnapshot | null {
  try {
    const s = JSON.parse(readFileSync(snapshotPath(home), "utf8")) as ProxySnapshot;
    return s.version === 1 && typeof s.port === "number" && typeof s.services === "object" && s.services !== null ? s : null;
  } catch {
    return null;
  }
}

export function writeSnapshot(home: string, snapshot: ProxySnapshot): void {
  writeFileAtomic(snapshotPath(home), `${JSON.stringify(snapshot, null, 2)}\n`, 0o600);
}

export const removeSnapshot = (home: string) => rmSync(snapshotPath(home), { force: true });
