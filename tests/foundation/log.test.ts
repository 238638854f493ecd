import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { createJsonlLog, createTerminal, EVENT_NAME, memoryLog, renderLine, wantsColor, type Writable } from "../../core/log/index.ts";
import { makeSandbox, repoRoot, type Sandbox } from "../harness/sandbox.ts";

let sb: Sandbox;
let n = 0;
beforeAll(() => {
  sb = makeSandbox("hm-log-");
});
afterAll(() => sb.cleanup());

/** A fresh log file path in its own folder. */
const freshFile = () => join(sb.root, `logs-${++n}`, "edge.log");
const lines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("JSON lines", () => {
  test("each line is one JSON object: time (ISO-8601 UTC), level, event, pid, then the fields", () => {
    const file = freshFile();
    const log = createJsonlLog({ file, maxBytes: 1 << 20, keep: 3, now: () => new Date(Date.UTC(2026, 4, 11, 9, 30, 0, 123)), pid: 4242 });
    log.event("edge.startup.ready", { port: 8081, version: "0.1.0" });
    log.event("edge.error", { kind: "refused", reason: 'line "one"\nline two' }, "warn");
    log.close();
    const raw = readFileSync(file, "utf8");
    expect(raw.endsWith("\n")).toBe(true);
    const got = raw.split("\n").filter(Boolean);
    expect(got).toHaveLength(2);
    expect(Object.keys(JSON.parse(got[0]!))).toEqual(["time", "level", "event", "pid", "port", "version"]);
    expect(JSON.parse(got[0]!)).toEqual({ time: "2026-05-11T09:30:00.123Z", level: "info", event: "edge.startup.ready", pid: 4242, port: 8081, version: "0.1.0" });
    // A newline inside a value stays inside the JSON string: still one line per event.
    expect(JSON.parse(got[1]!)).toMatchObject({ level: "warn", event: "edge.error", reason: 'line "one"\nline two' });
  });

  test("real clock and pid by default", () => {
    const file = freshFile();
    const before = Date.now();
    const log = createJsonlLog({ file, maxBytes: 1 << 20, keep: 1 });
    log.event("test.default_clock");
    log.close();
    const [line] = lines(file);
    expect(line!.time).toMatch(ISO_UTC);
    expect(Date.parse(line!.time as string)).toBeGreaterThanOrEqual(before - 1);
    expect(line!.pid).toBe(process.pid);
  });

  test("fields cannot overwrite the fixed keys; errors become messages, bigints numbers, undefined is left out", () => {
    const line = JSON.parse(renderLine(new Date(0), "error", "edge.exit", 7, { time: "forged", level: "forged", event: "forged", pid: -1, err: new Error("boom"), n: 12n, gone: undefined, nested: { a: [1] } }));
    expect(line).toEqual({ time: "1970-01-01T00:00:00.000Z", level: "error", event: "edge.exit", pid: 7, err: "boom", n: 12, nested: { a: [1] } });
  });

  test("the folder is created on first write", () => {
    const file = join(sb.root, "deep", "er", "daemon.log");
    const log = createJsonlLog({ file, maxBytes: 4096, keep: 1 });
    log.event("daemon.startup.ready");
    log.close();
    expect(lines(file)).toHaveLength(1);
  });

  test("memoryLog keeps lines in order with their level", () => {
    const log = memoryLog();
    log.event("a.b", { x: 1 });
    log.event("a.c", {}, "error");
    expect(log.lines).toEqual([
      { x: 1, event: "a.b", level: "info" },
      { event: "a.c", level: "error" },
    ]);
  });
});

describe("event names", () => {
  test("EVENT_NAME: dotted, lowercase, at least two parts", () => {
    for (const ok of ["edge.passthrough", "daemon.startup.ready", "intercept.tls_failed", "store.v2.migrated"]) expect(ok).toMatch(EVENT_NAME);
    for (const bad of ["edge", "Edge.ready", "edge.Ready", "edge..ready", ".edge", "edge.", "edge-ready.x", "edge ready.x", "1edge.x"]) expect(bad).not.toMatch(EVENT_NAME);
  });

  test("every event name logged anywhere in core/, cmd/ and platform/ matches EVENT_NAME", () => {
    const names = new Map<string, string>();
    const walk = (dir: string) => {
      if (!existsSync(dir)) return;
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith(".ts")) for (const m of readFileSync(path, "utf8").matchAll(/\.event\(\s*"([^"]+)"/g)) names.set(m[1]!, relative(repoRoot, path));
      }
    };
    for (const d of ["core", "cmd", "platform"]) walk(join(repoRoot, d));
    expect(names.size).toBeGreaterThan(5);
    const bad = [...names].filter(([name]) => !EVENT_NAME.test(name));
    expect(bad).toEqual([]);
  });
});

describe("rotation", () => {
  /** Writes numbered events until `count`; returns the numbers found in each file, newest file first. */
  function fill(file: string, maxBytes: number, keep: number, count: number) {
    const log = createJsonlLog({ file, maxBytes, keep, now: () => new Date(0), pid: 1 });
    for (let i = 0; i < count; i++) log.event("test.rotation", { i, pad: "x".repeat(40) });
    log.close();
  }
  const numbers = (f: string) => lines(f).map((l) => l.i as number);

  test("rotates at maxBytes and keeps exactly `keep` old files, never more, none over the cap", () => {
    const file = freshFile();
    fill(file, 1000, 3, 200);
    const dir = readdirSync(join(file, "..")).sort();
    expect(dir).toEqual(["edge.log", "edge.log.1", "edge.log.2", "edge.log.3"]);
    for (const f of dir) expect(statSync(join(file, "..", f)).size).toBeLessThanOrEqual(1000);
    // Newest first: edge.log, then .1, .2, .3, each a contiguous run continuing the next.
    const runs = [file, `${file}.1`, `${file}.2`, `${file}.3`].map(numbers);
    expect(runs[0]!.at(-1)).toBe(199);
    for (let k = 0; k < 3; k++) expect(runs[k + 1]!.at(-1)! + 1).toBe(runs[k]![0]!);
    for (const run of runs) expect(run).toEqual(Array.from({ length: run.length }, (_, j) => run[0]! + j));
  });

  test("a log that is reopened continues counting the bytes already there", () => {
    const file = freshFile();
    fill(file, 1000, 2, 6);
    const before = statSync(file).size;
    expect(before).toBeGreaterThan(500);
    fill(file, 1000, 2, 6);
    expect(existsSync(`${file}.1`)).toBe(true);
    for (const f of [file, `${file}.1`]) expect(statSync(f).size).toBeLessThanOrEqual(1000);
  });

  test("keep = 0 truncates: one file, never over the cap, holding the newest lines", () => {
    const file = freshFile();
    fill(file, 1000, 0, 200);
    expect(readdirSync(join(file, ".."))).toEqual(["edge.log"]);
    expect(statSync(file).size).toBeLessThanOrEqual(1000);
    expect(numbers(file).at(-1)).toBe(199);
  });

  test("keep = 1 keeps one old file", () => {
    const file = freshFile();
    fill(file, 1000, 1, 200);
    expect(readdirSync(join(file, "..")).sort()).toEqual(["edge.log", "edge.log.1"]);
  });

  test("a log whose folder was deleted does not throw, and writes again once it can", () => {
    const file = freshFile();
    const log = createJsonlLog({ file, maxBytes: 600, keep: 2 });
    log.event("test.before");
    rmSync(join(file, ".."), { recursive: true, force: true });
    for (let i = 0; i < 50; i++) expect(() => log.event("test.after_delete", { i, pad: "y".repeat(40) })).not.toThrow();
    // Once the cap is reached the log reopens by name, recreating the folder.
    expect(lines(file).at(-1)).toMatchObject({ event: "test.after_delete", i: 49 });
    expect(() => log.close()).not.toThrow();
    expect(() => log.close()).not.toThrow();
  });

  test("a log file that cannot be created (its folder is a file) does not throw", () => {
    const blocker = join(sb.root, "blocker");
    Bun.write(blocker, "not a folder");
    const log = createJsonlLog({ file: join(blocker, "edge.log"), maxBytes: 4096, keep: 1 });
    expect(() => log.event("test.cannot_open")).not.toThrow();
    log.close();
  });
});

describe("terminal", () => {
  const ANSI = /\x1b\[/;
  function fake(isTTY?: boolean): Writable & { text: string } {
    const w = {
      text: "",
      isTTY,
      write(s: string) {
        w.text += s;
        return true;
      },
    };
    return w;
  }
  function speak(env: Record<string, string>, isTTY?: boolean) {
    const out = fake(isTTY);
    const err = fake(isTTY);
    const t = createTerminal(out, err, env);
    t.info("info-msg");
    t.success("success-msg");
    t.warn("warn-msg");
    t.error("error-msg");
    t.hint("hint-msg");
    t.print("print-line");
    return { t, out: out.text, err: err.text };
  }

  test("NO_COLOR on a TTY: plain, prefixed lines, nothing decorated", () => {
    const { t, out, err } = speak({ NO_COLOR: "1", TERM: "xterm-256color" }, true);
    expect(t.color).toBe(false);
    expect(out).toBe("info-msg\nsuccess-msg\nprint-line\n");
    expect(err).toBe("warning: warn-msg\nerror: error-msg\n  hint: hint-msg\n");
  });

  test("not a TTY: plain output, no ANSI escapes", () => {
    for (const isTTY of [false, undefined]) {
      const { t, out, err } = speak({ TERM: "xterm-256color" }, isTTY);
      expect(t.color).toBe(false);
      expect(out + err).not.toMatch(ANSI);
      expect(err).toContain("error: error-msg\n");
      expect(out).toContain("print-line\n");
    }
  });

  test("wantsColor: NO_COLOR wins over FORCE_COLOR; FORCE_COLOR=0 and TERM=dumb do not colour", () => {
    expect(wantsColor({ write() {}, isTTY: true }, { TERM: "xterm" })).toBe(true);
    expect(wantsColor({ write() {}, isTTY: true }, { TERM: "xterm", NO_COLOR: "1", FORCE_COLOR: "1" })).toBe(false);
    expect(wantsColor({ write() {}, isTTY: true }, { TERM: "xterm", NO_COLOR: "" })).toBe(true);
    expect(wantsColor({ write() {}, isTTY: true }, { TERM: "dumb" })).toBe(false);
    expect(wantsColor({ write() {} }, { FORCE_COLOR: "1" })).toBe(true);
    expect(wantsColor({ write() {} }, { FORCE_COLOR: "0" })).toBe(false);
  });

  test("a TTY with colour: errors still go to stderr and print() stays undecorated on stdout", () => {
    const { t, out, err } = speak({ TERM: "xterm-256color" }, true);
    expect(t.color).toBe(true);
    expect(err).toContain("error-msg");
    expect(err).toContain("warn-msg");
    expect(out).not.toContain("error-msg");
    expect(out).toContain("print-line\n");
    expect(out.split("\n")).toContain("print-line");
  });
});
