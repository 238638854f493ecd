// Test-only WebSocket frame encoder and permessage-deflate compressor, to build streams the
// reader must read: masked or not, fragmented, every length form, compressed with and without
// context takeover by a real streaming deflater.

import { constants, createDeflateRaw, type DeflateRaw } from "node:zlib";

export interface FrameSpec {
  opcode: number;
  payload: Uint8Array | string;
  fin?: boolean;
  rsv1?: boolean;
  /** A client frame: masked with this key (or a fixed one). */
  mask?: Uint8Array | boolean;
  /** Force a length form (a 16- or 64-bit length for a short payload is legal, if not minimal). */
  lengthBits?: 7 | 16 | 64;
}

const KEY = Uint8Array.from([0x37, 0xfa, 0x21, 0x3d]);

export function frame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === "string" ? Buffer.from(spec.payload) : Buffer.from(spec.payload);
  const mask = spec.mask === true ? KEY : spec.mask || null;
  const n = payload.length;
  const bits = spec.lengthBits ?? (n < 126 ? 7 : n < 65536 ? 16 : 64);
  const lengthBytes = bits === 7 ? 0 : bits === 16 ? 2 : 8;
  const head = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0));
  head[0] = (spec.fin === false ? 0 : 0x80) | (spec.rsv1 ? 0x40 : 0) | spec.opcode;
  head[1] = (mask ? 0x80 : 0) | (bits === 7 ? n : bits === 16 ? 126 : 127);
  if (lengthBytes === 2) head.writeUInt16BE(n, 2);
  if (lengthBytes === 8) head.writeBigUInt64BE(BigInt(n), 2);
  if (!mask) return Buffer.concat([head, payload]);
  head.set(mask, 2 + lengthBytes);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!));
  return Buffer.concat([head, masked]);
}

export const text = (payload: string | Uint8Array, more: Omit<FrameSpec, "opcode" | "payload"> = {}) => frame({ opcode: 1, payload, ...more });

/** Compresses each message as RFC 7692 says: a sync flush, its 00 00 ff ff tail removed. `takeover` keeps one deflater for all. */
export class Compressor {
  private deflater: DeflateRaw | null = null;

  constructor(private readonly o: { takeover: boolean; windowBits?: number }) {}

  async compress(message: string | Uint8Array): Promise<Buffer> {
    if (!this.deflater || !this.o.takeover) {
      this.deflater?.close();
      this.deflater = createDeflateRaw({ windowBits: this.o.windowBits ?? 15 });
    }
    const d = this.deflater;
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    d.on("data", onData);
    d.write(message);
    await new Promise<void>((resolve) => d.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    // One more turn in case the flushed output's data events trail the callback; the tail check catches a miss.
    await new Promise((r) => setImmediate(r));
    d.off("data", onData);
    const out = Buffer.concat(chunks);
    if (!out.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))) throw new Error("a sync flush ends in 00 00 ff ff");
    return out.subarray(0, -4);
  }

  close(): void {
    this.deflater?.close();
  }
}

/** Deterministic bytes that do not compress. */
export function noise(length: number, seed: number): Uint8Array {
  let a = seed >>> 0;
  return Uint8Array.from({ length }, () => {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    return a >>> 24;
  });
}

/** Every split of `bytes` into two chunks. */
export function* twoChunkSplits(bytes: Uint8Array): Generator<[Uint8Array, Uint8Array]> {
  for (let i = 0; i <= bytes.length; i++) yield [bytes.subarray(0, i), bytes.subarray(i)];
}
