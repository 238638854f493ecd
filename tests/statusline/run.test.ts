// `statusline` in process, against real db.sqlite files: what it says for a session it has rows
// for, for one it has none for, without a session, and when the store is missing, damaged,
// newer, older or locked (a placeholder, never an exception). The store is only ever read.

import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync, writeFileSync } from "node:fs";
import { runStatusline, type StatuslineDeps, unavailable } from "../../core/statusline/run.ts";
import { MIGRATIONS } from "../../core/store/index.ts";
import { makeRow, olderSchemaFile } from "../store/_fixtures.ts";
import { claudeInput, HOUR, MINUTE, noon, sample, type Seeded, seeded, SESSION, tempHome } from "./_fixtures.ts";

const FULL = "◆ $1.20 session · $3.10 today · 5h 42% (resets in 2h 14m) · 7d 18% · $1.20/h";
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function world(s: Seeded = seeded()): Seeded {
  cleanups.push(s.remove);
  return s;
}

async function line(s: Pick<Seeded, "db" | "now">, input: string | null, argv: string[] = [], over: Partial<StatuslineDeps> = {}) {
  const out = await runStatusline(argv, { dbPath: s.db, env: { NO_COLOR: "1" }, nowMs: s.now, readInput: async () => input, ...over });
  expect(out.stdout).not.toMatch(/\n/);
  expect(out.stdout).toBe(out.stdout.trimEnd());
  return out.stdout;
}

describe("a store with the session's rows", () => {
  test("session, today (all projects, no self-test), the account's 5h and 7d windows, the last hour's burn", async () => {
    const s = world();
    expect(await line(s, claudeInput())).toBe(FULL);
  });

  test("the store is only read: the file is byte for byte the same afterwards", async () => {
    const s = world();
    const before = readFileSync(s.db);
    await line(s, claudeInput());
    expect(readFileSync(s.db).equals(before)).toBe(true);
  });

  test("a session with no row yet shows Claude Code's estimate as such, and the latest account's windows", async () => {
    const s = world();
    expect(await line(s, claudeInput({ session_id: "not-seen-yet" }))).toBe("◆ ~$1.37 session (Claude's estimate) · $3.10 today · 5h 42% (resets in 2h 14m) · 7d 18% · $1.20/h");
    expect(await line(s, claudeInput({ session_id: "not-seen-yet", cost: { total_cost_usd: 0 } }))).toStartWith("◆ $0.00 session · $3.10 today");
  });

  test("empty stdin, or not JSON, or no session_id: everything but the session", async () => {
    const s = world();
    const rest = "◆ $3.10 today · 5h 42% (resets in 2h 14m) · 7d 18% · $1.20/h";
    for (const input of [null, "", "   \n", "not json {", '{"session_id": 42}', "[1,2]", claudeInput({ session_id: undefined })]) expect(await line(s, input)).toBe(rest);
  });

  test("a window whose reset has passed shows as reset", async () => {
    const s = world();
    expect(await line({ db: s.db, now: s.now + 3 * HOUR }, claudeInput())).toBe("◆ $1.20 session · $3.10 today · 5h reset · 7d 18%");
  });

  test("a window filling faster than it resets says when it fills", async () => {
    const now = noon();
    const rows = [
      makeRow(1, { startedAt: now - 40 * MINUTE, costMicros: 100_000, account: "a", session: SESSION, limits: [sample({ observedAt: now - 40 * MINUTE, utilization: 0.5, resetsAt: now + 3 * HOUR })] }),
      makeRow(2, { startedAt: now - MINUTE, costMicros: 100_000, account: "a", session: SESSION, limits: [sample({ observedAt: now - MINUTE, utilization: 0.8, resetsAt: now + 3 * HOUR })] }),
    ];
    const s = world(seeded(now, rows));
    expect(await line(s, claudeInput())).toBe("◆ $0.20 session · $0.20 today · 5h 80% (full in 26m, resets in 3h) · $0.20/h");
  });

  test("unpriced requests mark the session's cost", async () => {
    const now = noon();
    const s = world(seeded(now, [makeRow(1, { startedAt: now - MINUTE, session: SESSION, costMicros: 250_000 }), makeRow(2, { startedAt: now - MINUTE, session: SESSION, costMicros: null, priceStatus: "unpriced" })]));
    expect(await line(s, claudeInput())).toBe("◆ $0.25* session · $0.25 today · $0.25/h");
  });

  test("the notices seam: given the open store, they come first and go last", async () => {
    const s = world();
    const notices = () => ["daily budget $3 passed"];
    expect(await line(s, claudeInput(), [], { notices })).toBe(`◆ daily budget $3 passed · ${FULL.slice(2)}`);
    expect(await line(s, claudeInput(), ["--max-width", "30"], { notices })).toBe("◆ daily budget $3 passed");
  });

  test("notices that fail leave the line without them", async () => {
    const s = world();
    const notices = () => {
      throw new Error("budgets broke");
    };
    expect(await line(s, claudeInput(), [], { notices })).toBe(FULL);
  });

  test("a bug is not passed off as a damaged store", () => {
    expect(unavailable(new TypeError("x is undefined"))).toBe("internal error (HALTON_METER_DEBUG=1 shows it)");
  });

  test("--max-width and COLUMNS drop whole parts, least important first", async () => {
    const s = world();
    expect(await line(s, claudeInput(), ["--max-width", String(FULL.length)])).toBe(FULL);
    expect(await line(s, claudeInput(), ["--max-width", String(FULL.length - 1)])).toBe("◆ $1.20 session · $3.10 today · 5h 42% (resets in 2h 14m) · 7d 18%");
    expect(await line(s, claudeInput(), [], { env: { NO_COLOR: "1", COLUMNS: "60" } })).toBe("◆ $1.20 session · $3.10 today · 5h 42% (resets in 2h 14m)");
    expect(await line(s, claudeInput(), ["--max-width=50"])).toBe("◆ $1.20 session · 5h 42% (resets in 2h 14m)");
    expect(await line(s, claudeInput(), ["--max-width", "20"])).toBe("◆ $1.20 session");
    expect(await line(s, claudeInput(), ["--max-width", "3"])).toBe("◆");
  });

  test("colour by default, none with NO_COLOR or --no-color, --color over NO_COLOR", async () => {
    const s = world();
    const colored = await line(s, claudeInput(), [], { env: {} });
    expect(colored).toContain("\x1b[");
    expect(colored.replace(/\x1b\[[0-9;]*m/g, "")).toBe(FULL);
    expect(Bun.stringWidth(colored)).toBe(FULL.length);
    expect(await line(s, claudeInput(), ["--no-color"], { env: {} })).toBe(FULL);
    expect(await line(s, claudeInput(), [], { env: { NO_COLOR: "1" } })).toBe(FULL);
    expect(await line(s, claudeInput(), [], { env: { NO_COLOR: "" } })).toContain("\x1b[");
    expect(await line(s, claudeInput(), ["--color"], { env: { NO_COLOR: "1" } })).toContain("\x1b[");
  });

  test("a mistyped option still prints a line, saying so", async () => {
    const s = world();
    expect(await line(s, claudeInput(), ["--bogus"])).toBe('◆ meter: unknown option "--bogus" (see halton-meter statusline --help)');
    expect(await line(s, claudeInput(), ["--max-width", "wide"])).toBe('◆ meter: --max-width needs a number of columns, not "wide"');
    expect((await runStatusline(["--help"], { dbPath: s.db, env: {}, nowMs: s.now, readInput: async () => null })).stdout).toContain('"statusLine"');
  });
});

describe("a store it cannot read gives a placeholder", () => {
  test("no database yet", async () => {
    const home = tempHome();
    cleanups.push(home.remove);
    expect(await line({ db: home.db, now: noon() }, claudeInput())).toBe("◆ meter: no data yet");
  });

  test("a file that is not SQLite, and a damaged one", async () => {
    const home = tempHome();
    cleanups.push(home.remove);
    writeFileSync(home.db, "this is not a database\n".repeat(100));
    expect(await line({ db: home.db, now: noon() }, claudeInput())).toBe("◆ meter: store unreadable");
    const s = world();
    const bytes = readFileSync(s.db);
    bytes.fill(0x5a, 100, bytes.length); // the header survives, every page after it is garbage
    writeFileSync(s.db, bytes);
    expect(await line(s, claudeInput())).toBe("◆ meter: store unreadable");
  });

  test("a store from a newer build is not touched", async () => {
    const s = world();
    const db = new Database(s.db);
    db.run(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(await line(s, claudeInput())).toBe("◆ meter: store is from a newer halton-meter");
  });

  test("a store another process holds exclusively answers at once: busy", async () => {
    const s = world();
    const holder = new Database(s.db);
    cleanups.unshift(() => holder.close());
    holder.run("PRAGMA locking_mode = EXCLUSIVE");
    holder.run("BEGIN EXCLUSIVE");
    holder.run("DELETE FROM meta WHERE key = 'nothing'");
    const out = await runStatusline([], { dbPath: s.db, env: { NO_COLOR: "1", HALTON_METER_DEBUG: "1" }, nowMs: s.now, readInput: async () => claudeInput(), busyTimeoutMs: 0 });
    expect(out.stdout).toBe("◆ meter: store busy");
    expect(out.debug).toContain("locked");
  });
});

test("a store from before sessions and windows (schema 3) still gives today's cost", async () => {
  const home = tempHome();
  cleanups.push(home.remove);
  const now = noon();
  olderSchemaFile(home.db, 3, [makeRow(1, { startedAt: now - HOUR, costMicros: 2_000_000 })]);
  expect(await line({ db: home.db, now }, claudeInput())).toBe("◆ $2.00 today · $2.00/h");
});
