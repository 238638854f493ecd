import { expect, test } from "bun:test";
import { connectionGuard } from "../../core/proxy/guard.ts";

// One connection's guard for the steps no socket callback carries: a bug ends that connection
// once, and nothing of it runs after.

test("a step that throws ends the connection once; later steps do not run", () => {
  let ended = 0;
  const ran: string[] = [];
  const g = connectionGuard(() => ended++);
  g.run("first", () => ran.push("first"));
  g.run("timer", () => {
    throw new Error("a bug");
  });
  g.run("after", () => ran.push("after"));
  expect({ ran, ended, broken: g.broken }).toEqual({ ran: ["first"], ended: 1, broken: true });
});

test("a promise's answer runs guarded; a rejection ends the connection; a value after that goes to `late`", async () => {
  let ended = 0;
  const g = connectionGuard(() => ended++);
  const seen: string[] = [];
  g.after("probe", Promise.resolve("ok"), (v) => seen.push(v));
  await Bun.sleep(0);
  expect(seen).toEqual(["ok"]);
  g.after("dial", Promise.reject(new Error("a bug in the dialer")), () => seen.push("never"));
  await Bun.sleep(0);
  expect({ ended, broken: g.broken }).toEqual({ ended: 1, broken: true });
  g.after("late dial", Promise.resolve("socket"), () => seen.push("never"), (v) => seen.push(`closed ${v}`));
  g.after("another rejection", Promise.reject(new Error("again")), () => {});
  await Bun.sleep(0);
  expect({ seen, ended }).toEqual({ seen: ["ok", "closed socket"], ended: 1 });
});
