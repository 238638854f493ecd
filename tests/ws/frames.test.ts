// The frame layer alone: a header is "incomplete" at every byte short of its end and "ok" with
// its exact size at it; violations are named from the first two bytes; payload is handed on as
// views of the chunk, never copied.

import { describe, expect, test } from "bun:test";
import { createFrameSplitter, type FramePiece, MAX_HEADER_BYTES, parseFrameHeader, unmaskInto } from "../../core/ws/frames.ts";
import { frame } from "./_encode.ts";

const SERVER = { masked: false, deflate: false };
const CLIENT = { masked: true, deflate: true };

describe("parseFrameHeader", () => {
  const cases = [
    { name: "7-bit, unmasked", bytes: frame({ opcode: 1, payload: "hi" }), rules: SERVER, size: 2, length: 2 },
    { name: "16-bit, masked", bytes: frame({ opcode: 2, payload: new Uint8Array(300), mask: true }), rules: CLIENT, size: 8, length: 300 },
    { name: "64-bit, masked, compressed", bytes: frame({ opcode: 1, payload: new Uint8Array(70_000), mask: true, rsv1: true }), rules: CLIENT, size: 14, length: 70_000 },
    { name: "64-bit form for 5 bytes", bytes: frame({ opcode: 1, payload: "short", lengthBits: 64 }), rules: SERVER, size: 10, length: 5 },
  ];

  for (const c of cases) {
    test(`${c.name}: incomplete at every prefix, then ok with its size, the payload not needed`, () => {
      for (let i = 0; i < c.size; i++) expect(parseFrameHeader(c.bytes.subarray(0, i), c.rules)).toEqual({ kind: "incomplete" });
      const whole = parseFrameHeader(c.bytes.subarray(0, c.size), c.rules);
      expect(whole).toMatchObject({ kind: "ok", size: c.size, header: { length: c.length, fin: true } });
      expect(parseFrameHeader(c.bytes, c.rules)).toEqual(whole);
    });
  }

  test("the masking key is a copy, not a view of the input", () => {
    const bytes = frame({ opcode: 1, payload: "x", mask: Uint8Array.of(9, 8, 7, 6) });
    const result = parseFrameHeader(bytes, CLIENT);
    bytes.fill(0);
    expect(result.kind === "ok" && [...result.header.mask!]).toEqual([9, 8, 7, 6]);
  });

  test("violations are named from the first two bytes, before the rest of the header arrives", () => {
    expect(parseFrameHeader(Uint8Array.of(0x83, 0xfe), CLIENT)).toEqual({ kind: "invalid", reason: "unknown opcode 0x3" });
    expect(parseFrameHeader(Uint8Array.of(0x81, 0xff), SERVER)).toEqual({ kind: "invalid", reason: "a masked server frame" });
    expect(parseFrameHeader(Uint8Array.of(0xc1, 0x7f), SERVER)).toEqual({ kind: "invalid", reason: "RSV1 set without permessage-deflate" });
    expect(parseFrameHeader(Uint8Array.of(0x09, 0x80), CLIENT)).toEqual({ kind: "invalid", reason: "a fragmented control frame" });
  });
});

describe("createFrameSplitter", () => {
  const pieces = (chunks: Uint8Array[]) => {
    const s = createFrameSplitter(SERVER);
    return chunks.flatMap((c) => s.push(c));
  };

  test("payload pieces are views of the chunk pushed, still in place", () => {
    const chunk = Buffer.concat([frame({ opcode: 2, payload: new Uint8Array(1000).fill(7) }), frame({ opcode: 9, payload: "" })]);
    const got = pieces([chunk]);
    expect(got.map((p) => p.kind)).toEqual(["header", "payload", "end", "header", "end"]);
    const payload = got[1] as Extract<FramePiece, { kind: "payload" }>;
    expect(payload.bytes.buffer).toBe(chunk.buffer);
    expect(payload.bytes.byteOffset).toBe(chunk.byteOffset + 4);
  });

  test("a header cut anywhere is held (at most 14 bytes), the payload then counted from offset 0", () => {
    const bytes = frame({ opcode: 2, payload: new Uint8Array(70_000), mask: true });
    for (let cut = 1; cut < MAX_HEADER_BYTES; cut++) {
      const s = createFrameSplitter(CLIENT);
      expect(s.push(bytes.subarray(0, cut))).toEqual([]);
      expect(s.midFrame).toBe(true);
      const rest = s.push(bytes.subarray(cut));
      expect(rest.map((p) => p.kind)).toEqual(["header", "payload", "end"]);
      expect(rest[1]).toMatchObject({ offset: 0 });
      expect((rest[1] as Extract<FramePiece, { kind: "payload" }>).bytes.length).toBe(70_000);
      expect(s.midFrame).toBe(false);
    }
  });

  test("after a close frame, or a violation, nothing more is split", () => {
    const s = createFrameSplitter(SERVER);
    expect(s.push(Buffer.concat([frame({ opcode: 8, payload: "" }), frame({ opcode: 1, payload: "x" })])).map((p) => p.kind)).toEqual(["header", "end"]);
    expect(s.push(frame({ opcode: 1, payload: "x" }))).toEqual([]);
    const t = createFrameSplitter(SERVER);
    expect(t.push(Uint8Array.of(0x8f, 0, 0x81, 0))).toEqual([{ kind: "invalid", reason: "unknown opcode 0xf" }]);
    expect(t.push(frame({ opcode: 1, payload: "x" }))).toEqual([]);
  });
});

test("unmaskInto: unmasking in pieces at any offsets equals unmasking at once", () => {
  const mask = Uint8Array.of(0xa1, 0x02, 0xf3, 0x44);
  const plain = Uint8Array.from({ length: 37 }, (_, i) => i * 7);
  const masked = plain.map((b, i) => b ^ mask[i & 3]!);
  for (const cuts of [[1], [3, 4, 5], [2, 9, 10, 30], [36]]) {
    const out = new Uint8Array(plain.length);
    let from = 0;
    for (const to of [...cuts, plain.length]) {
      unmaskInto(out, from, masked.subarray(from, to), mask, from);
      from = to;
    }
    expect(out).toEqual(plain);
  }
  const copy = new Uint8Array(3);
  unmaskInto(copy, 0, Uint8Array.of(1, 2, 3), null, 5);
  expect([...copy]).toEqual([1, 2, 3]);
});
