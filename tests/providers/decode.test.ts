// Incremental decoding on the pinned Bun: every coding, at every split, synchronously.

import { describe, expect, test } from "bun:test";
import * as zlib from "node:zlib";
import { createBodyDecoder } from "../../core/providers/_decode.ts";
import { oneByteChunks } from "./_harness.ts";

const plain = new TextEncoder().encode(`data: {"text":"größer 東京 🚀"}\n\n`.repeat(400));

const CASES: Array<[string, Uint8Array]> = [
  ["gzip", zlib.gzipSync(plain)],
  ["x-gzip", zlib.gzipSync(plain)],
  ["deflate", zlib.deflateSync(plain)],
  ["deflate", zlib.deflateRawSync(plain)],
  ["br", zlib.brotliCompressSync(plain)],
  ["zstd", zlib.zstdCompressSync(plain)],
];

function decodeAll(coding: string[], chunks: Uint8Array[], cap?: number) {
  const decoder = createBodyDecoder(coding, cap);
  const out = Buffer.concat(chunks.flatMap((c) => decoder.push(c)));
  const problem = decoder.problem;
  decoder.close();
  return { out: new Uint8Array(out), problem };
}

describe("createBodyDecoder", () => {
  for (const [coding, packed] of CASES) {
    test(`${coding} (${packed.length} bytes) at every split and byte by byte`, () => {
      const bad: number[] = [];
      for (let i = 0; i <= packed.length; i++) {
        const { out, problem } = decodeAll([coding], [packed.subarray(0, i), packed.subarray(i)]);
        if (problem !== null || !Buffer.from(out).equals(Buffer.from(plain))) bad.push(i);
      }
      expect(bad).toEqual([]);
      expect(decodeAll([coding], oneByteChunks(packed)).out).toEqual(plain);
    });
  }

  test("identity passes chunks through; an empty coding list is identity", () => {
    expect(decodeAll([], [plain])).toEqual({ out: plain, problem: null });
  });

  test("corrupt input stops with a problem, never a throw", () => {
    expect(decodeAll(["gzip"], [plain]).problem).toMatch(/^corrupt gzip data/);
    expect(decodeAll(["br"], [plain]).problem).toMatch(/^corrupt br data/);
  });

  test("the cap bounds the output of a single small chunk", () => {
    const bomb = zlib.zstdCompressSync(new Uint8Array(8 << 20));
    const { out, problem } = decodeAll(["zstd"], [bomb], 100_000);
    expect(out.length).toBe(100_000);
    expect(problem).toMatch(/cap/);
  });

  test("pushing after a failure returns nothing", () => {
    const decoder = createBodyDecoder(["gzip"]);
    expect(decoder.push(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]))).toEqual([]);
    expect(decoder.push(zlib.gzipSync(plain))).toEqual([]);
    expect(decoder.problem).not.toBeNull();
  });
});
