// What comes in: Claude Code's JSON (whole, cut at every offset, or something else), stdin bounded
// in size and time, and the options.

import { describe, expect, test } from "bun:test";
import { colorWanted, maxWidthOf, parseArgs } from "../../core/statusline/args.ts";
import { NO_INPUT, parseInput } from "../../core/statusline/input.ts";
import { readBounded } from "../../core/statusline/stdin.ts";
import { claudeInput, SESSION } from "./_fixtures.ts";

describe("parseInput", () => {
  test("Claude Code's JSON: the session id and its cost estimate", () => {
    expect(parseInput(claudeInput())).toEqual({ sessionId: SESSION, claudeCostUsd: 1.37 });
    expect(parseInput(JSON.stringify({ session_id: "s", cost: {} }))).toEqual({ sessionId: "s", claudeCostUsd: null });
  });

  test("anything else leaves both unknown, and never throws", () => {
    for (const text of [null, "", "null", "42", '"s"', "[]", "{", '{"session_id": ""}', '{"session_id": {"x": 1}}', `{"session_id": "${"x".repeat(201)}"}`]) {
      expect(parseInput(text)).toEqual(NO_INPUT);
    }
    expect(parseInput('{"session_id": "s", "cost": {"total_cost_usd": -1}}').claudeCostUsd).toBeNull();
    expect(parseInput('{"session_id": "s", "cost": {"total_cost_usd": "1.5"}}').claudeCostUsd).toBeNull();
  });

  test("cut at every offset: the whole document or nothing", () => {
    const text = claudeInput();
    for (let i = 0; i < text.length; i++) {
      const got = parseInput(text.slice(0, i));
      expect(got === NO_INPUT || got.sessionId === SESSION).toBe(true);
    }
  });
});

describe("readBounded", () => {
  const limits = { maxBytes: 64, deadlineMs: 60_000 };
  const chunks = (...parts: string[]) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(new TextEncoder().encode(p));
        c.close();
      },
    });

  test("the whole stream, across chunks and a character cut between them", async () => {
    const bytes = new TextEncoder().encode('{"a":"◆"}');
    const split = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, 7));
        c.enqueue(bytes.slice(7));
        c.close();
      },
    });
    expect(await readBounded(split, limits)).toBe('{"a":"◆"}');
    expect(await readBounded(chunks(), limits)).toBe("");
  });

  test("more than the bound is no input", async () => {
    expect(await readBounded(chunks("x".repeat(64)), limits)).toBe("x".repeat(64));
    expect(await readBounded(chunks("x".repeat(40), "x".repeat(40)), limits)).toBeNull();
  });

  test("a writer that never closes the pipe is not waited for past the deadline", async () => {
    const open = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"session_id":'));
      },
    });
    expect(await readBounded(open, { maxBytes: 64, deadlineMs: 5 })).toBeNull();
  });

  test("a stream that fails is no input", async () => {
    const failing = new ReadableStream<Uint8Array>({
      pull(c) {
        c.error(new Error("EIO"));
      },
    });
    expect(await readBounded(failing, limits)).toBeNull();
  });
});

describe("options", () => {
  test("parsed", () => {
    expect(parseArgs([])).toEqual({ ok: true, args: { help: false, color: null, maxWidth: null } });
    expect(parseArgs(["--color", "--max-width", "80"])).toEqual({ ok: true, args: { help: false, color: true, maxWidth: 80 } });
    expect(parseArgs(["--no-color", "--max-width=0", "-h"])).toEqual({ ok: true, args: { help: true, color: false, maxWidth: 0 } });
    expect(parseArgs(["--max-width"])).toEqual({ ok: false, message: "--max-width needs a number of columns" });
    expect(parseArgs(["--max-width", "-3"]).ok).toBe(false);
    expect(parseArgs(["--color=yes"]).ok).toBe(false);
    expect(parseArgs(["extra"]).ok).toBe(false);
  });

  test("colour: the flag, else NO_COLOR when set and not empty, else on", () => {
    const args = (color: boolean | null) => ({ help: false, color, maxWidth: null });
    expect(colorWanted(args(null), {})).toBe(true);
    expect(colorWanted(args(null), { NO_COLOR: "1" })).toBe(false);
    expect(colorWanted(args(null), { NO_COLOR: "" })).toBe(true);
    expect(colorWanted(args(true), { NO_COLOR: "1" })).toBe(true);
    expect(colorWanted(args(false), {})).toBe(false);
  });

  test("width: the flag, else COLUMNS when it is a number, else no limit", () => {
    const args = (maxWidth: number | null) => ({ help: false, color: null, maxWidth });
    expect(maxWidthOf(args(null), {})).toBeNull();
    expect(maxWidthOf(args(null), { COLUMNS: "120" })).toBe(120);
    expect(maxWidthOf(args(null), { COLUMNS: "wide" })).toBeNull();
    expect(maxWidthOf(args(40), { COLUMNS: "120" })).toBe(40);
  });
});
