import { expect, test } from "bun:test";
import { HELD_CAP, HeldInput } from "../../core/proxy/held.ts";

// What a proxy holds between the head and the relay: in order, the client paused past the cap,
// handed over whole (from a replay point when a chain already sent the first chunks).

function relay() {
  const got: string[] = [];
  let ended = false;
  return { up: { push: (b: Uint8Array) => void got.push(Buffer.from(b).toString()), endOfInput: () => void (ended = true) }, got, ended: () => ended };
}

test("chunks are handed over in order, then the FIN, and the hold is empty after", () => {
  const held = new HeldInput(() => {});
  held.push(Buffer.from("one"));
  held.push(Buffer.alloc(0));
  held.push(Buffer.from("two"));
  held.ended = true;
  const r = relay();
  held.handTo(r.up);
  expect(r.got).toEqual(["one", "two"]);
  expect(r.ended()).toBe(true);
  expect(held.bytes).toBe(0);
  expect(held.chunks).toEqual([]);
});

test("from a replay point: only what the chain has not sent yet", () => {
  const held = new HeldInput(() => {});
  for (const s of ["hello", "body-1", "body-2"]) held.push(Buffer.from(s));
  const r = relay();
  held.handTo(r.up, 1);
  expect(r.got).toEqual(["body-1", "body-2"]);
  expect(r.ended()).toBe(false);
});

test("past the cap the client is paused, once per chunk that goes over", () => {
  let pauses = 0;
  const held = new HeldInput(() => pauses++);
  held.push(new Uint8Array(HELD_CAP));
  expect(pauses).toBe(0);
  held.push(new Uint8Array(1));
  expect(pauses).toBe(1);
  expect(held.bytes).toBe(HELD_CAP + 1);
});
