import { expect, test } from "bun:test";
import { Outbox } from "../../core/proxy/outbox.ts";

// The one write queue, against a writer that takes only what it is allowed to: nothing is lost,
// nothing reordered, the caller hears "backed up" exactly while bytes wait.

function writer() {
  const got: number[] = [];
  let room = 0;
  return {
    got,
    allow: (n: number) => void (room = n),
    write: (d: Uint8Array) => {
      const n = Math.min(room, d.length);
      got.push(...d.subarray(0, n));
      room -= n;
      return n;
    },
  };
}

test("what the writer does not take waits, in order, and goes out on flush", () => {
  const w = writer();
  const out = new Outbox(w.write);
  w.allow(2);
  expect(out.send(Uint8Array.of(1, 2, 3))).toBe(false);
  expect(out.send(Uint8Array.of(4, 5))).toBe(false);
  expect([out.pending, out.delivered]).toEqual([3, 2]);
  w.allow(2);
  expect(out.flush()).toBe(false);
  w.allow(100);
  expect(out.flush()).toBe(true);
  expect(w.got).toEqual([1, 2, 3, 4, 5]);
  expect([out.pending, out.delivered]).toEqual([0, 5]);
});

test("a queued chunk is a copy: the caller may reuse its buffer", () => {
  const w = writer();
  const out = new Outbox(w.write);
  const buf = Uint8Array.of(7, 8);
  out.send(buf);
  buf.fill(0);
  w.allow(10);
  out.flush();
  expect(w.got).toEqual([7, 8]);
});

test("take hands over what waits and empties the queue; clear drops it", () => {
  const w = writer();
  const out = new Outbox(w.write);
  w.allow(1);
  out.send(Uint8Array.of(1, 2, 3));
  expect(out.take().map((c) => [...c])).toEqual([[2, 3]]);
  expect([out.pending, out.flush()]).toEqual([0, true]);
  out.send(Uint8Array.of(9));
  out.clear();
  expect(out.pending).toBe(0);
});

test("a closed writer (negative answers) counts as taking nothing", () => {
  const out = new Outbox(() => -1);
  expect(out.send(Uint8Array.of(1))).toBe(false);
  expect([out.pending, out.delivered]).toEqual([1, 0]);
});
