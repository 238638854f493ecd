// The daemon's budget watch with timers moved by hand: when it looks, that each alert is logged and
// notified once (across restarts, through its file), and that a failing check or notifier costs
// nothing but a log line.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Crossing } from "../../core/budgets/evaluate.ts";
import { watchBudgets } from "../../core/budgets/watch.ts";
import { memoryLog } from "../../core/log/jsonl.ts";
import { manualTimers, tempDir } from "../store/_fixtures.ts";

const crossing = (key: string, severity: Crossing["severity"] = "warning"): Crossing => ({ key, kind: "spend", severity, message: `message ${key}`, value: 1, limit: 1 });

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.remove());

function setup(current: () => Crossing[] | Promise<Crossing[]>) {
  const clock = manualTimers();
  const log = memoryLog();
  const shown: Array<[string, string]> = [];
  const writes: string[] = [];
  const file = tmp.path("budget-alerts.json");
  const watch = watchBudgets({
    check: async () => current(),
    notifier: { notify: async (title, body) => void shown.push([title, body]) },
    log,
    file,
    write: async (f, text) => {
      writes.push(text);
      writeFileSync(f, text);
    },
    timers: clock.timers,
    everyMs: 60_000,
    minGapMs: 5_000,
  });
  return { clock, log, shown, writes, file, watch };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("the budget watch", () => {
  test("looks at once, then every minute; a poke brings the next look within the gap, and more pokes do not push it back", async () => {
    const w = setup(() => []);
    expect(w.clock.delays()).toEqual([0]);
    w.clock.fire();
    await settle();
    expect(w.clock.delays()).toEqual([60_000]);
    w.watch.poke();
    expect(w.clock.delays()).toEqual([5_000]);
    w.watch.poke();
    w.watch.poke();
    expect(w.clock.delays()).toEqual([5_000]);
    w.clock.fire();
    await settle();
    expect(w.clock.delays()).toEqual([60_000]);
    expect(w.log.lines.filter((l) => l.event === "budget.checked")).toHaveLength(2);
    w.watch.stop();
    expect(w.clock.delays()).toEqual([]);
  });

  test("each alert is logged and notified once; an exceeded one is titled so; the file keeps only alerts in effect", async () => {
    let now = [crossing("a"), crossing("b", "exceeded")];
    const w = setup(() => now);
    await w.watch.look();
    expect(w.shown).toEqual([
      ["Halton Meter: budget warning", "message a"],
      ["Halton Meter: budget exceeded", "message b"],
    ]);
    await w.watch.look();
    expect(w.shown).toHaveLength(2);
    expect(w.log.lines.filter((l) => l.event === "budget.alert").map((l) => l.key)).toEqual(["a", "b"]);
    expect(JSON.parse(readFileSync(w.file, "utf8"))).toEqual(["a", "b"]);
    now = [crossing("b", "exceeded")];
    await w.watch.look();
    expect(JSON.parse(readFileSync(w.file, "utf8"))).toEqual(["b"]);
    expect(w.writes).toHaveLength(2);
    w.watch.stop();
  });

  test("a restart reads what was notified: nothing is shown twice; an unreadable file is a fresh start", async () => {
    writeFileSync(tmp.path("budget-alerts.json"), '["a"]\n');
    const w = setup(() => [crossing("a"), crossing("c")]);
    await w.watch.look();
    expect(w.shown.map(([, body]) => body)).toEqual(["message c"]);
    w.watch.stop();
    writeFileSync(tmp.path("budget-alerts.json"), "{not json");
    const again = setup(() => [crossing("a")]);
    await again.watch.look();
    expect(again.shown).toHaveLength(1);
    again.watch.stop();
  });

  test("a check that fails is logged and the watch goes on; no notifier is no notification", async () => {
    let fail = true;
    const w = setup(() => {
      if (fail) throw new Error("database is locked");
      return [crossing("x")];
    });
    await w.watch.look();
    expect(w.log.lines.find((l) => l.event === "budget.check_failed")).toMatchObject({ reason: "database is locked" });
    expect(existsSync(w.file)).toBe(false);
    fail = false;
    await w.watch.look();
    expect(w.shown).toHaveLength(1);
    w.watch.stop();

    const log = memoryLog();
    const quiet = watchBudgets({ check: async () => [crossing("q")], notifier: null, log, file: tmp.path("quiet.json"), timers: manualTimers().timers, write: async () => {} });
    await quiet.look();
    expect(log.lines.filter((l) => l.event === "budget.alert")).toHaveLength(1);
    quiet.stop();
  });
});
