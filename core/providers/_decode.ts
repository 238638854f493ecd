// Incremental, synchronous decoding of Content-Encoding (gzip, deflate, br, zstd).
//
// Why the zlib internals: node:zlib's public streaming API is asynchronous (output arrives on a
// later tick), while an observer must answer `finish()` synchronously, and the one-shot
// `*Sync` functions need the whole body in memory. `_handle.writeSync` + `_writeState` are what
// node:zlib's own `*Sync` functions run on; driving them here, without the close those functions
// do at the end, decodes chunk by chunk with bounded memory. They exist in Node and in Bun 1.4.4
// (pinned; tests/providers/decode.test.ts proves it). If a runtime lacks them the decoder reports a
// problem instead of throwing, and the row is marked incomplete.

import * as zlib from "node:zlib";
import { formatBytes } from "./_usage.ts";

export const DEFAULT_MAX_DECODED_BYTES = 64 * 1024 * 1024;

/** Takes one decoded piece; false stops decoding (the decoder is then done: close it). */
export type PieceSink = (piece: Uint8Array) => boolean | void;

export interface BodyDecoder {
  /** Decoded bytes for one encoded chunk, possibly none. Never throws. */
  push(chunk: Uint8Array): Uint8Array[];
  /**
   * The same, but each piece (at most 16 KiB) goes to `sink` as soon as it is decoded: a few
   * kilobytes that inflate to the whole cap never sit in memory at once (N compression bombs
   * at a time would otherwise hold N times the cap). Throws only what `sink` throws.
   */
  pushEach(chunk: Uint8Array, sink: PieceSink): void;
  /** Why decoding stopped early (corrupt data, cap reached, unsupported coding), or null. */
  readonly problem: string | null;
  /** Release native resources. Safe to call more than once. */
  close(): void;
}

/** `codings` in the order they were applied, as listed in Content-Encoding. */
export function createBodyDecoder(codings: readonly string[], maxDecodedBytes = DEFAULT_MAX_DECODED_BYTES): BodyDecoder {
  if (codings.length === 0) return identityDecoder;
  const unsupported = codings.find((c) => !Object.hasOwn(STAGE_FACTORIES, c));
  if (unsupported !== undefined) return failedDecoder(`unsupported content-encoding "${unsupported}"`);
  // Undo the codings in reverse order of application.
  const stages = [...codings].reverse().map((c) => new Stage(c, maxDecodedBytes));
  // Each stage hands its pieces straight to the next: true while the sink wants more.
  const run = (i: number, piece: Uint8Array, sink: PieceSink): boolean =>
    i === stages.length ? sink(piece) !== false : stages[i]!.push(piece, (p) => run(i + 1, p, sink));
  return {
    push: (chunk) => collect((sink) => run(0, chunk, sink)),
    pushEach(chunk, sink) {
      run(0, chunk, sink);
    },
    get problem() {
      return stages.find((s) => s.problem !== null)?.problem ?? null;
    },
    close() {
      for (const stage of stages) stage.close();
    },
  };
}

const identityDecoder: BodyDecoder = { push: (chunk) => [chunk], pushEach: (chunk, sink) => void sink(chunk), problem: null, close() {} };

function failedDecoder(problem: string): BodyDecoder {
  return { push: () => [], pushEach() {}, problem, close() {} };
}

function collect(run: (sink: PieceSink) => unknown): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  run((p) => void pieces.push(p));
  return pieces;
}

interface ZlibInternals {
  _handle: { writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void } | null;
  _writeState: Uint32Array | number[];
  destroyed: boolean;
  on(event: "error", listener: (err: unknown) => void): unknown;
  close(): void;
}

type Factory = (first: Uint8Array) => { stream: ZlibInternals; flush: number };

const C = zlib.constants;
const STAGE_FACTORIES: Record<string, Factory> = {
  gzip: () => ({ stream: zlib.createGunzip() as unknown as ZlibInternals, flush: C.Z_SYNC_FLUSH }),
  "x-gzip": () => ({ stream: zlib.createGunzip() as unknown as ZlibInternals, flush: C.Z_SYNC_FLUSH }),
  // "deflate" should be zlib-wrapped, but some servers send raw deflate: look at the header.
  deflate: (first) => ({
    stream: (looksZlibWrapped(first) ? zlib.createInflate() : zlib.createInflateRaw()) as unknown as ZlibInternals,
    flush: C.Z_SYNC_FLUSH,
  }),
  br: () => ({ stream: zlib.createBrotliDecompress() as unknown as ZlibInternals, flush: C.BROTLI_OPERATION_FLUSH }),
  zstd: () => ({ stream: zlib.createZstdDecompress() as unknown as ZlibInternals, flush: C.ZSTD_e_flush }),
};

function looksZlibWrapped(b: Uint8Array): boolean {
  const cmf = b[0] ?? 0;
  const flg = b[1] ?? 0;
  return (cmf & 0x0f) === 8 && (cmf * 256 + flg) % 31 === 0;
}

const OUT_CHUNK = 16 * 1024;

class Stage {
  problem: string | null = null;
  private stream: ZlibInternals | null = null;
  private flush = 0;
  private pending: Uint8Array | null = null;
  private produced = 0;
  private readonly out = new Uint8Array(OUT_CHUNK);

  constructor(
    private readonly coding: string,
    private readonly cap: number,
  ) {}

  /** Decodes `chunk` into `sink`; false once the sink said stop. */
  push(chunk: Uint8Array, sink: PieceSink): boolean {
    if (this.problem !== null || chunk.byteLength === 0) return true;
    if (this.stream === null) {
      // The deflate sniff needs two bytes; hold a lone first byte back.
      const input = this.pending ? concat(this.pending, chunk) : chunk;
      if (input.byteLength < 2 && this.coding === "deflate") {
        this.pending = input;
        return true;
      }
      this.pending = null;
      if (!this.open(input)) return true;
      return this.write(input, sink);
    }
    return this.write(chunk, sink);
  }

  close(): void {
    try {
      this.stream?.close();
    } catch {
      // Already closed by an error: nothing to release.
    }
    this.stream = null;
  }

  private open(first: Uint8Array): boolean {
    try {
      const made = STAGE_FACTORIES[this.coding]!(first);
      made.stream.on("error", () => {}); // errors are read synchronously below; never let one escape
      if (!made.stream._handle || !made.stream._writeState) {
        this.fail("incremental decompression is not available in this runtime");
        return false;
      }
      this.stream = made.stream;
      this.flush = made.flush;
      return true;
    } catch (err) {
      this.fail(`cannot start ${this.coding} decoder: ${String(err)}`);
      return false;
    }
  }

  private write(input: Uint8Array, sink: PieceSink): boolean {
    const stream = this.stream;
    if (stream === null) return true;
    let inOff = 0;
    let availIn = input.byteLength;
    for (;;) {
      let have: number;
      let availOutAfter: number;
      try {
        const handle = stream._handle;
        if (handle === null || stream.destroyed) return this.fail(`corrupt ${this.coding} data`);
        handle.writeSync(this.flush, input, inOff, availIn, this.out, 0, OUT_CHUNK);
        if (stream._handle === null || stream.destroyed) return this.fail(`corrupt ${this.coding} data`);
        availOutAfter = Number(stream._writeState[0]);
        const availInAfter = Number(stream._writeState[1]);
        have = OUT_CHUNK - availOutAfter;
        inOff += availIn - availInAfter;
        availIn = availInAfter;
      } catch (err) {
        return this.fail(`corrupt ${this.coding} data (${errorText(err)})`);
      }
      if (have > 0) {
        const piece = this.out.slice(0, Math.min(have, this.cap - this.produced));
        this.produced += have;
        // The sink runs outside the try: its own failure is not "corrupt data".
        if (this.produced >= this.cap) {
          this.fail(`decoded body reached the ${formatBytes(this.cap)} cap; the rest was not read`);
          return sink(piece) !== false;
        }
        if (sink(piece) === false) return false;
      }
      if (availOutAfter !== 0) return true; // the output buffer was not filled: input consumed
    }
  }

  /** Stops this stage for good; true because nothing downstream asked to stop. */
  private fail(problem: string): true {
    this.problem ??= problem;
    this.close();
    return true;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
