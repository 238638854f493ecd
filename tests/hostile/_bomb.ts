// Compression bombs, built by hand in milliseconds: compressing a gigabyte with zlib takes
// seconds of CPU. One deflate block with a dynamic Huffman code where "copy 258 bytes from 1 back"
// costs 2 bits: the densest deflate there is (about 1:1032), so 1 GiB is about 1 MiB of zero bits.

import { crc32, gzipSync } from "node:zlib";

class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;

  /** `count` bits of `value`, least significant first (deflate's packing for header fields). */
  bits(value: number, count: number): void {
    for (let i = 0; i < count; i++) this.bit((value >> i) & 1);
  }

  /** A Huffman code, most significant bit first. */
  code(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) this.bit((value >> i) & 1);
  }

  bit(b: number): void {
    this.acc |= b << this.n;
    if (++this.n === 8) this.flushByte();
  }

  /** Bits written into the byte not yet complete. */
  get fill(): number {
    return this.n;
  }

  alignToByte(): void {
    if (this.n > 0) this.flushByte();
  }

  raw(data: Uint8Array): void {
    this.alignToByte();
    for (const b of data) this.bytes.push(b);
  }

  private flushByte(): void {
    this.bytes.push(this.acc);
    this.acc = 0;
    this.n = 0;
  }

  /** Whole bytes written so far (after alignToByte). */
  take(): Buffer {
    const out = Buffer.from(this.bytes);
    this.bytes = [];
    return out;
  }
}

function storedBlock(w: BitWriter, data: Uint8Array, final: boolean): void {
  w.bits(final ? 1 : 0, 1);
  w.bits(0, 2);
  w.alignToByte();
  w.bits(data.length, 16);
  w.bits(~data.length & 0xffff, 16);
  w.raw(data);
}

/** Code-length code: 18 (a run of zeros) is "0", 1 is "10", 2 is "11". */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const CL_LENGTHS: Record<number, number> = { 18: 1, 1: 2, 2: 2 };
const CL_CODES: Record<number, [number, number]> = { 18: [0b0, 1], 1: [0b10, 2], 2: [0b11, 2] };

/** Code 18 says "11 to 138 zeros": a longer run is split so that no piece is shorter than 11. */
function zeros(w: BitWriter, count: number): void {
  if (count < 11) throw new Error("the fill byte must be between 11 and 244");
  while (count > 0) {
    const run = count > 138 ? Math.min(138, count - 11) : count;
    w.code(...CL_CODES[18]!);
    w.bits(run - 11, 7);
    count -= run;
  }
}

/**
 * Writes the header of a dynamic block whose literal/length code has three symbols: `byte` (2
 * bits, "10"), end of block (2 bits, "11") and length 258 (1 bit, "0"); one distance code (0,
 * distance 1, 1 bit "0"). Then `byte`, `copies` matches of 258 and the end of block.
 */
function runBlock(w: BitWriter, byte: number, copies: number, final: boolean): void {
  w.bits(final ? 1 : 0, 1);
  w.bits(2, 2);
  w.bits(286 - 257, 5);
  w.bits(1 - 1, 5);
  w.bits(18 - 4, 4);
  for (const sym of CL_ORDER.slice(0, 18)) w.bits(CL_LENGTHS[sym] ?? 0, 3);
  // Literal/length code lengths for symbols 0..285 (byte < 256 is assumed), then the distance's.
  zeros(w, byte);
  w.code(...CL_CODES[2]!);
  zeros(w, 255 - byte);
  w.code(...CL_CODES[2]!); // 256: end of block
  zeros(w, 28);
  w.code(...CL_CODES[1]!); // 285: length 258
  w.code(...CL_CODES[1]!); // distance code 0
  w.code(0b10, 2); // the one literal: `byte`
  // Every match is "0" then "0": whole bytes of zero bits, added without a loop per match.
  const matchBits = copies * 2;
  const lead = (8 - w.fill) % 8;
  const headBits = Math.min(lead, matchBits);
  for (let i = 0; i < headBits; i++) w.bit(0);
  const zeroBytes = Math.floor((matchBits - headBits) / 8);
  if (zeroBytes > 0) w.raw(new Uint8Array(zeroBytes));
  for (let i = 0; i < matchBits - headBits - zeroBytes * 8; i++) w.bit(0);
  w.code(0b11, 2);
}

export interface Bomb {
  /** The gzip member as sent. */
  gzip: Buffer;
  /** How many bytes it inflates to. */
  inflated: number;
}

/**
 * A gzip body that inflates to `prefix`, then `size` (at least 1) copies of `fill` (one character,
 * code 11 to 244), then `suffix`: a JSON document with a giant string when prefix and
 * suffix say so.
 */
export function gzipBomb(prefix: string, fill: string, size: number, suffix: string): Bomb {
  const copies = Math.floor((size - 1) / 258);
  const runLength = 1 + copies * 258;
  // What 258-byte copies cannot reach goes out as plain bytes with the suffix.
  const tail = fill.repeat(size - runLength) + suffix;
  const w = new BitWriter();
  storedBlock(w, Buffer.from(prefix), false);
  runBlock(w, fill.charCodeAt(0), copies, false);
  storedBlock(w, Buffer.from(tail), true);
  w.alignToByte();
  const deflate = w.take();
  let crc = crc32(Buffer.from(prefix));
  const block = Buffer.alloc(1 << 20, fill);
  for (let left = runLength; left > 0; left -= block.length) crc = crc32(block.subarray(0, Math.min(left, block.length)), crc);
  crc = crc32(Buffer.from(tail), crc);
  const inflated = Buffer.byteLength(prefix) + runLength + Buffer.byteLength(tail);
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(inflated % 2 ** 32, 4);
  return { gzip: Buffer.concat([header, deflate, trailer]), inflated };
}

/** The same bomb gzipped once more (send with `Content-Encoding: gzip, gzip`): about a kilobyte. */
export function nestedBomb(inner: Bomb): Bomb {
  return { gzip: gzipSync(inner.gzip, { level: 9 }), inflated: inner.inflated };
}
