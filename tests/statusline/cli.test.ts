// `halton-meter statusline` as Claude Code runs it: the compiled binary (`make build`), its JSON
// piped on stdin, one line on stdout, nothing on stderr, exit 0, whatever the store is like.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { insertRows, openStore } from "../../core/store/index.ts";
import { makeSandbox, repoRoot, type Sandbox } from "../harness/sandbox.ts";
import { claudeInput, seedRows } from "./_fixtures.ts";

const BINARY = join(repoRoot, "dist/halton-meter");
const DAY = 86_400_000;
let sb: Sandbox;
let now: number;

beforeAll(() => {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`make build\` first`);
  sb = makeSandbox("hm-statusline-");
  now = Date.now();
  const store = openStore(join(sb.meterHome, "db.sqlite"));
  insertRows(store, seedRows(now));
  store.close();
});
afterAll(() => sb.cleanup());

async function statusline(stdin: string | null, { args = [] as string[], env = {} as Record<string, string>, home = sb.meterHome } = {}) {
  const p = Bun.spawn([BINARY, "statusline", ...args], {
    env: { ...sb.env, HALTON_METER_HOME: home, TZ: "UTC", ...env },
    stdin: stdin === null ? "ignore" : new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
    cwd: sb.root,
  });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  expect(stdout).toEndWith("\n");
  expect(stdout.trimEnd().split("\n")).toHaveLength(1);
  return stdout.slice(0, -1);
}

/** Today's spend in the seeded rows, UTC (the child's TZ): the openai row is today unless it is not yet 03:00. */
function today(): string {
  const midnight = Math.floor(now / DAY) * DAY;
  const micros = seedRows(now).filter((r) => r.startedAt >= midnight && r.provider !== "halton-meter").reduce((sum, r) => sum + (r.costMicros ?? 0), 0);
  return `$${(micros / 1e6).toFixed(2)}`;
}

describe("the compiled binary", () => {
  test("Claude Code's JSON piped in: the session's line", async () => {
    expect(await statusline(claudeInput())).toBe(`◆ $1.20 session · ${today()} today · 5h 42% (resets in 2h 14m) · 7d 18% · $1.20/h`);
  });

  test("colour unless NO_COLOR; width from --max-width", async () => {
    const { NO_COLOR: _, ...colorEnv } = sb.env;
    const p = Bun.spawn([BINARY, "statusline"], { env: { ...colorEnv, TZ: "UTC" }, stdin: new Blob([claudeInput()]), stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).toContain("\x1b[");
    expect(out.replace(/\x1b\[[0-9;]*m/g, "")).toStartWith("◆ $1.20 session · ");
    expect(await statusline(claudeInput(), { args: ["--max-width", "20"] })).toBe("◆ $1.20 session");
  });

  test("empty stdin and stdin that is not JSON: the line without the session", async () => {
    const rest = `◆ ${today()} today · 5h 42% (resets in 2h 14m) · 7d 18% · $1.20/h`;
    expect(await statusline(null)).toBe(rest);
    expect(await statusline("")).toBe(rest);
    expect(await statusline("<html>not json")).toBe(rest);
  });

  test("no database, a file that is not one, a wrong option: a placeholder, still exit 0", async () => {
    const none = join(sb.root, "none");
    expect(await statusline(claudeInput(), { home: none })).toBe("◆ meter: no data yet");
    expect(existsSync(none)).toBe(false);
    const garbage = join(sb.root, "garbage");
    mkdirSync(garbage);
    writeFileSync(join(garbage, "db.sqlite"), "garbage ".repeat(1000));
    expect(await statusline(claudeInput(), { home: garbage })).toBe("◆ meter: store unreadable");
    expect(await statusline(claudeInput(), { args: ["--nope"] })).toBe('◆ meter: unknown option "--nope" (see halton-meter statusline --help)');
  });
});
