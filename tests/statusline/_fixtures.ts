// A store as the status line finds it: one Claude Code session's requests with the 5h and 7d
// windows their responses reported, another project's spend today, a self-test row and
// yesterday's spend (neither counted today), and a second account seen earlier.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localDayStart } from "../../core/statusline/facts.ts";
import { insertRows, openStore, type RequestRow } from "../../core/store/index.ts";
import type { LimitSampleRow } from "../../core/store/limits.ts";
import { makeRow } from "../store/_fixtures.ts";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const SESSION = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";

/** Noon of a day, local time as SQLite (libc) reads it: far from midnight either way. */
export function noon(): number {
  const store = openStore(":memory:");
  try {
    return localDayStart(store, Date.UTC(2026, 5, 10, 12)) + 12 * HOUR;
  } finally {
    store.close();
  }
}

export function sample(over: Partial<LimitSampleRow> & Pick<LimitSampleRow, "observedAt">): LimitSampleRow {
  return { provider: "anthropic", window: "5h", kind: "subscription", utilization: 0.3, limit: null, remaining: null, resetsAt: null, windowMinutes: null, status: "allowed", ...over };
}

export interface Seeded {
  dir: string;
  db: string;
  now: number;
  remove(): void;
}

export function tempHome(): Omit<Seeded, "now"> {
  const dir = mkdtempSync(join(tmpdir(), "hm-statusline-"));
  return { dir, db: join(dir, "db.sqlite"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * At `now`: the session spent $0.42 + $0.78 in the last hour with account acct-a, whose 5h window
 * went 35% -> 42% (reset in 2h 14m) and 7d reads 18%; another project spent $1.90 today; the
 * self-test's $5 and yesterday's $9 are not today's; acct-b was seen two days ago.
 */
export function seedRows(now: number): RequestRow[] {
  const resets5h = now + 2 * HOUR + 14 * MINUTE;
  return [
    makeRow(1, {
      startedAt: now - 30 * MINUTE, costMicros: 420_000, account: "acct-a", session: SESSION,
      limits: [sample({ observedAt: now - 30 * MINUTE, utilization: 0.35, resetsAt: resets5h }), sample({ window: "7d", observedAt: now - 30 * MINUTE, utilization: 0.18, resetsAt: now + 3 * 24 * HOUR })],
    }),
    makeRow(2, { startedAt: now - 2 * MINUTE, costMicros: 780_000, account: "acct-a", session: SESSION, limits: [sample({ observedAt: now - 2 * MINUTE, utilization: 0.42, resetsAt: resets5h })] }),
    makeRow(3, { startedAt: now - 3 * HOUR, provider: "openai", project: "beta", client: "codex", costMicros: 1_900_000, account: "acct-o" }),
    makeRow(4, { startedAt: now - 10 * MINUTE, provider: "halton-meter", client: "halton-meter", costMicros: 5_000_000 }),
    makeRow(5, { startedAt: now - 24 * HOUR, costMicros: 9_000_000, account: "acct-a", session: "yesterday" }),
    makeRow(6, { startedAt: now - 48 * HOUR, costMicros: 100_000, account: "acct-b", session: "other", limits: [sample({ observedAt: now - 48 * HOUR, utilization: 0.9, resetsAt: now - 43 * HOUR })] }),
  ];
}

export function seeded(now = noon(), rows = seedRows(now)): Seeded {
  const home = tempHome();
  const store = openStore(home.db);
  insertRows(store, rows);
  store.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  store.close();
  return { ...home, now };
}

/** Claude Code's statusLine JSON, as it sends it. */
export function claudeInput(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    session_id: SESSION,
    transcript_path: `/home/u/.claude/projects/p/${SESSION}.jsonl`,
    cwd: "/home/u/p",
    model: { id: "claude-sonnet-4-5", display_name: "Sonnet 4.5" },
    workspace: { current_dir: "/home/u/p", project_dir: "/home/u/p" },
    version: "2.1.197",
    output_style: { name: "default" },
    cost: { total_cost_usd: 1.37, total_duration_ms: 60_000, total_api_duration_ms: 20_000, total_lines_added: 10, total_lines_removed: 2 },
    ...over,
  });
}
