// `launchctl bootstrap` with the cold-boot retry. Right after login launchd may answer
// rc=5 "Input/output error" for a job it will accept a moment later; it gives the same
// answer for a job that is already loaded, so every failure is checked against `print`.

import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { RunResult } from "../../core/service/supervisor.ts";

/** Waits between attempts: six tries over about 15 s. */
export const BOOTSTRAP_BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const TRANSIENT = 5;

export interface BootstrapDeps {
  launchctl(...args: string[]): Promise<RunResult>;
  isLoaded(): Promise<boolean>;
  sleep(ms: number): Promise<void>;
  postMortems: string;
}

export type BootstrapOutcome = { ok: true } | { ok: false; attempts: RunResult[]; postMortem: string };

export async function bootstrapWithRetry(domain: string, plist: string, label: string, deps: BootstrapDeps): Promise<BootstrapOutcome> {
  const failures: RunResult[] = [];
  for (let i = 0; ; i++) {
    const r = await deps.launchctl("bootstrap", domain, plist);
    if (r.code === 0 || (await deps.isLoaded())) return { ok: true };
    failures.push(r);
    const wait = BOOTSTRAP_BACKOFF_MS[i];
    if (r.code !== TRANSIENT || wait === undefined) break;
    await deps.sleep(wait);
  }
  const postMortem = writePostMortem(deps.postMortems, new Date(), ["launchctl", "bootstrap", domain, plist], label, failures);
  return { ok: false, attempts: failures, postMortem };
}

export const firstLine = (r: RunResult): string => (r.stderr.trim() || r.stdout.trim()).split("\n")[0] ?? "";

/** Appends one block per give-up, so a run of cold-boot failures stays readable later. */
function writePostMortem(dir: string, at: Date, argv: string[], label: string, failures: RunResult[]): string {
  const file = join(dir, "launchd-bootstrap.log");
  const lines = [
    `${at.toISOString()} bootstrap of ${label} failed after ${failures.length} attempt${failures.length === 1 ? "" : "s"}`,
    `  command: ${argv.join(" ")}`,
    ...failures.map((r, i) => `  attempt ${i + 1}: rc=${r.code} ${firstLine(r)}`),
    "",
  ];
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  appendFileSync(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  return file;
}
