// Whatever the bytes, the reader never throws, its events are well-formed, at most one of them
// ends the stream and it comes last, its state agrees with them, and how the bytes were cut never
// changes what it reports. Streams are real: compressed with context takeover, masked,
// fragmented, with control frames between. A failure prints the seed and the input.

import { describe, expect, test } from "bun:test";
import { createWsReader, type Direction, type WsEvent } from "../../core/ws/reader.ts";
import { Compressor, frame, noise, text, twoChunkSplits } from "./_encode.ts";
import { DEFLATE, oneByteChunks } from "./_read.ts";
import { prng } from "../harness/prng.ts";

const MAX = 4096;
const deflate = { ...DEFLATE, serverMaxWindowBits: 10 };

async function stream(from: Direction): Promise<Uint8Array> {
  const mask = from === "client";
  const c = new Compressor({ takeover: true, windowBits: from === "server" ? 10 : 15 });
  const delta = '{"type":"response.output_text.delta","delta":"hello"}';
  const z = [await c.compress(delta), await c.compress(delta), await c.compress(noise(300, 5)), await c.compress('{"type":"response.completed"}')];
  c.close();
  return Buffer.concat([
    text(z[0]!, { rsv1: true, mask }),
    text(z[1]!.subarray(0, 3), { rsv1: true, fin: false, mask }),
    frame({ opcode: 9, payload: "ka", mask }),
    frame({ opcode: 0, payload: z[1]!.subarray(3), mask }),
    text("plain", { mask, lengthBits: 16 }),
    frame({ opcode: 2, payload: z[2]!, rsv1: true, mask }),
    frame({ opcode: 10, payload: "", mask }),
    text(z[3]!, { rsv1: true, mask }),
    frame({ opcode: 8, payload: Uint8Array.of(0x03, 0xe8, 0x6f, 0x6b), mask }),
  ]);
}

const STREAMS = { server: await stream("server"), client: await stream("client") };

function run(from: Direction, chunks: Uint8Array[]): { events: WsEvent[]; state: string } {
  const r = createWsReader({ from, deflate, maxMessageBytes: MAX });
  const events = [...chunks.flatMap((c) => r.push(c)), ...r.end()];
  return { events, state: r.state };
}

for (const from of ["server", "client"] as const) {
  describe(`a real ${from} stream`, () => {
    const bytes = STREAMS[from];
    const whole = run(from, [bytes]);

    test("reads every message, the compressed ones through the shared window", () => {
      const shown = whole.events.map((e) => (e.kind === "message" ? `${e.opcode} ${e.data.length}` : e.kind));
      expect(shown).toEqual(["text 53", "ping", "text 53", "text 5", "binary 300", "pong", "text 29", "close"]);
      expect(whole.events.at(-1)).toEqual({ kind: "close", code: 1000, reason: "ok" });
    });

    test("the same events for every two-chunk split, and one byte at a time", () => {
      const bad: number[] = [];
      for (const [i, [a, b]] of [...twoChunkSplits(bytes)].entries()) if (!Bun.deepEquals(run(from, [a, b]), whole)) bad.push(i);
      expect(bad).toEqual([]);
      expect(run(from, oneByteChunks(bytes))).toEqual(whole);
    });

    test("cut short anywhere: the messages before the cut, then truncated (or nothing, at a frame boundary)", () => {
      for (let i = 0; i < bytes.length; i++) {
        const cut = run(from, [bytes.subarray(0, i)]);
        const n = cut.events.length;
        const last = cut.events.at(-1);
        expect(cut.events.slice(0, n - 1)).toEqual(whole.events.slice(0, Math.max(0, n - 1)));
        if (last && last.kind !== "truncated") expect(whole.events[n - 1]).toEqual(last);
        expect(cut.events.filter((e) => e.kind === "close")).toEqual([]);
      }
    });
  });
}

const SPECIAL = [0x00, 0x80, 0x81, 0xc1, 0x7e, 0x7f, 0xff, 0x88, 0x89];

function mutate(input: Uint8Array, rand: () => number): Uint8Array {
  const b = Array.from(input);
  const pick = (n: number) => Math.floor(rand() * n);
  for (let k = 1 + pick(3); k > 0; k--) {
    const at = pick(b.length);
    const op = pick(4);
    if (op === 0) b[at]! ^= 1 << pick(8);
    else if (op === 1) b[at] = SPECIAL[pick(SPECIAL.length)]!;
    else if (op === 2) b.splice(at, 1 + pick(6));
    else b.splice(at, 0, ...b.slice(at, at + 1 + pick(30)));
  }
  return Uint8Array.from(b);
}

const TERMINAL = new Set(["close", "invalid", "truncated"]);

/** What is wrong with one run's answer, or null. */
function judge(result: { events: WsEvent[]; state: string }): string | null {
  const { events, state } = result;
  const ends = events.filter((e) => TERMINAL.has(e.kind));
  if (ends.length > 1) return `${ends.length} terminal events`;
  if (ends.length === 1 && events.at(-1) !== ends[0]) return "events after a terminal one";
  if (state !== (events.at(-1)?.kind === "invalid" ? "invalid" : "closed")) return `state ${state} after ${events.at(-1)?.kind}`;
  for (const e of events) {
    if (e.kind === "message" && (!(e.data instanceof Uint8Array) || e.data.length > MAX)) return "a message over the cap";
    if ((e.kind === "ping" || e.kind === "pong") && e.data.length > 125) return "a control payload over 125 bytes";
    if (e.kind === "skipped" && !(["too-large", "lost-context", "inflate-failed"].includes(e.reason) && e.bytes >= 0)) return `bad skip ${JSON.stringify(e)}`;
    if (e.kind === "invalid" && !(typeof e.reason === "string" && e.reason.length > 0)) return "invalid without a reason";
    if (e.kind === "close" && e.code !== undefined && !(e.code >= 0 && e.code <= 0xffff && typeof e.reason === "string")) return "bad close";
  }
  return null;
}

describe("fuzz: seeded mutations of real streams", () => {
  for (const seed of [1, 2, 3]) {
    test(`seed ${seed}: 2 × 500 mutated streams, well-formed and the same however cut`, () => {
      const rand = prng(seed);
      const problems: string[] = [];
      const seen = new Set<string>();
      for (const from of ["server", "client"] as const) {
        for (let n = 0; n < 500; n++) {
          const input = mutate(STREAMS[from], rand);
          const at = Math.floor(rand() * (input.length + 1));
          let results;
          try {
            results = [run(from, [input]), run(from, [input.subarray(0, at), input.subarray(at)]), run(from, oneByteChunks(input))];
          } catch (err) {
            problems.push(`threw ${(err as Error).message} (${from}, seed ${seed}, mutation ${n}): ${Buffer.from(input).toString("hex")}`);
            continue;
          }
          const wrong = judge(results[0]!) ?? (Bun.deepEquals(results[1], results[0]) && Bun.deepEquals(results[2], results[0]) ? null : "a different answer when cut");
          if (wrong) problems.push(`${wrong} (${from}, seed ${seed}, mutation ${n}): ${Buffer.from(input).toString("hex")}`);
          for (const e of results[0]!.events) seen.add(e.kind === "skipped" ? `skipped ${e.reason}` : e.kind);
        }
      }
      expect(problems.slice(0, 5)).toEqual([]);
      // The mutations reach every kind of answer, so the checks above were exercised.
      for (const kind of ["message", "ping", "pong", "close", "invalid", "truncated", "skipped inflate-failed", "skipped lost-context"]) expect(seen).toContain(kind);
    });
  }

  test("random bytes, either direction, with and without deflate, never throw and end in a defined state", () => {
    const rand = prng(99);
    const problems: string[] = [];
    for (let n = 0; n < 2000; n++) {
      const input = Uint8Array.from({ length: Math.floor(rand() * 300) }, () => (rand() < 0.3 ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : Math.floor(rand() * 256)));
      const from = n % 2 === 0 ? "server" : "client";
      const r = createWsReader({ from, deflate: n % 3 === 0 ? null : deflate, maxMessageBytes: MAX });
      const at = Math.floor(rand() * input.length);
      const events = [...r.push(input.subarray(0, at)), ...r.push(input.subarray(at)), ...r.end()];
      const wrong = judge({ events, state: r.state });
      if (wrong) problems.push(`${wrong} (random ${n}): ${Buffer.from(input).toString("hex")}`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });
});
