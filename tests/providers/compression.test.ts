// Compressed bodies (gzip, deflate, br, zstd) give the same result as plain ones, at any split;
// corrupt data, unknown codings and decompression bombs cost the row its detail, never a throw.

import { describe, expect, test } from "bun:test";
import * as zlib from "node:zlib";
import type { RawHeaders } from "../../core/http/types.ts";
import { fixtureBytes, oneByteChunks, replay, requestBytes, twoChunks, type Exchange } from "./_harness.ts";
import { CASES, type FixtureCase } from "./fixtures/cases.ts";

const CODINGS: Record<string, (b: Uint8Array) => Uint8Array> = {
  gzip: (b) => zlib.gzipSync(b),
  deflate: (b) => zlib.deflateSync(b),
  br: (b) => zlib.brotliCompressSync(b),
  zstd: (b) => zlib.zstdCompressSync(b),
};

function withEncoding(c: FixtureCase, coding: string): Exchange {
  const headers: RawHeaders = [...c.responseHeaders, ["Content-Encoding", coding]];
  return { ...c, responseHeaders: headers };
}

function caseNamed(file: string): FixtureCase {
  return CASES.find((c) => c.file === file)!;
}

describe("every fixture, compressed with every coding, reads the same", () => {
  for (const [coding, compress] of Object.entries(CODINGS)) {
    test(coding, () => {
      const differing: string[] = [];
      for (const c of CASES) {
        const plain = replay(c, { chunks: [fixtureBytes(c.file)] });
        const packed = replay(withEncoding(c, coding), { chunks: [compress(fixtureBytes(c.file))] });
        if (!Bun.deepEquals(packed, plain)) differing.push(c.name);
      }
      expect(differing).toEqual([]);
    });
  }

  test("raw deflate sent as Content-Encoding: deflate", () => {
    const c = caseNamed("anthropic-stream.sse");
    const plain = replay(c, { chunks: [fixtureBytes(c.file)] });
    expect(replay(withEncoding(c, "deflate"), { chunks: [zlib.deflateRawSync(fixtureBytes(c.file))] })).toEqual(plain);
  });

  test("two codings, applied in the listed order (gzip, then br)", () => {
    const c = caseNamed("openai-chat-stream.sse");
    const plain = replay(c, { chunks: [fixtureBytes(c.file)] });
    const packed = zlib.brotliCompressSync(zlib.gzipSync(fixtureBytes(c.file)));
    expect(replay(withEncoding(c, "gzip, br"), { chunks: [packed] })).toEqual(plain);
  });
});

describe("compressed streams at every split", () => {
  for (const file of ["anthropic-stream.sse", "gemini-stream-array.json", "codex-responses.sse"]) {
    for (const [coding, compress] of Object.entries(CODINGS)) {
      test(`${file} as ${coding}`, () => {
        const c = caseNamed(file);
        const plain = replay(c, { chunks: [fixtureBytes(c.file)] });
        const packed = compress(fixtureBytes(c.file));
        const exchange = withEncoding(c, coding);
        const bad: number[] = [];
        for (let i = 0; i <= packed.length; i++) {
          if (!Bun.deepEquals(replay(exchange, { chunks: twoChunks(packed, i) }), plain)) bad.push(i);
        }
        expect(bad).toEqual([]);
        expect(replay(exchange, { chunks: oneByteChunks(packed) })).toEqual(plain);
      });
    }
  }
});

describe("compression failures", () => {
  const c = caseNamed("anthropic-stream.sse");

  test("corrupt gzip: no throw, incomplete, says why", () => {
    const packed = zlib.gzipSync(fixtureBytes(c.file));
    const corrupt = packed.slice();
    for (let i = 40; i < 80; i++) corrupt[i] = corrupt[i]! ^ 0x5a;
    const result = replay(withEncoding(c, "gzip"), { chunks: [corrupt] });
    expect(result.tokensComplete).toBe(false);
    expect(result.note).toMatch(/corrupt gzip data/);
  });

  test("a plain body labelled zstd", () => {
    const result = replay(withEncoding(c, "zstd"), { chunks: [fixtureBytes(c.file)] });
    expect(result.tokensComplete).toBe(false);
    expect(result.note).toMatch(/corrupt zstd data/);
  });

  test("an unsupported coding, including names that exist on every object", () => {
    for (const coding of ["compress", "toString", "__proto__"]) {
      const result = replay(withEncoding(c, coding), { chunks: [fixtureBytes(c.file)] });
      expect(result).toMatchObject({ tokensComplete: false, model: "claude-opus-4-1" });
      expect(result.note).toBe(`unsupported content-encoding "${coding.toLowerCase()}"`);
    }
  });

  test("a truncated gzip stream keeps what was decoded so far", () => {
    const packed = zlib.gzipSync(fixtureBytes(c.file));
    const result = replay(withEncoding(c, "gzip"), { chunks: [packed.subarray(0, packed.length - 30)], complete: false });
    expect(result.model).toBe("claude-opus-4-1-20250805");
    expect(result.tokens.cacheRead).toBe(12032);
    expect(result.tokensComplete).toBe(false);
  });

  test("a decompression bomb stops at the cap", () => {
    const bomb = zlib.gzipSync(new Uint8Array(16 * 1024 * 1024).fill(0x20)); // 16 MiB of spaces, ~16 KiB packed
    const gemini = caseNamed("gemini-generate.json");
    const result = replay(withEncoding(gemini, "gzip"), { chunks: [bomb], maxDecodedBytes: 1024 * 1024 });
    expect(result.tokensComplete).toBe(false);
    expect(result.note).toMatch(/reached the 1 MiB cap/);
  });
});

describe("compressed request bodies", () => {
  test("Codex sends zstd request bodies: the request model is still read", () => {
    const c = caseNamed("codex-responses.sse");
    const request = zlib.zstdCompressSync(requestBytes(c));
    const exchange: Exchange = {
      ...c,
      requestHeaders: [["Content-Type", "application/json"], ["Content-Encoding", "zstd"]],
      status: 500,
      responseHeaders: [["Content-Type", "application/json"]],
    };
    // A 500 carries no model, so the model can only come from the decoded request.
    const result = replay(exchange, { chunks: [new TextEncoder().encode('{"error":{"type":"server_error"}}')], requestChunks: oneByteChunks(request) });
    expect(result).toMatchObject({ model: "gpt-5-codex", errorType: "server_error", stream: true });
  });
});
