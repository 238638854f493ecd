// RFC 6455 §5.2 framing: frame headers parsed from bytes that may be cut anywhere, and a splitter
// that turns a byte stream into headers, payload views and frame ends. It never copies payload:
// `payload` pieces are views of the pushed chunk, still masked, valid only until push returns.

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

const KNOWN = new Set<number>(Object.values(OPCODE));

/** The longest header: 2 bytes, a 64-bit length, a masking key. */
export const MAX_HEADER_BYTES = 14;

export interface FrameHeader {
  fin: boolean;
  /** Set on the first frame of a compressed message (RFC 7692 §6). */
  rsv1: boolean;
  opcode: number;
  /** The 4-byte masking key, or null for an unmasked frame. */
  mask: Uint8Array | null;
  length: number;
}

export interface FrameRules {
  /** Frames from the client must be masked, frames from the server must not (§5.1). */
  masked: boolean;
  /** permessage-deflate was negotiated, so RSV1 has a meaning. */
  deflate: boolean;
}

export type HeaderResult =
  | { kind: "incomplete" }
  | { kind: "ok"; header: FrameHeader; size: number }
  | { kind: "invalid"; reason: string };

export function parseFrameHeader(bytes: Uint8Array, rules: FrameRules): HeaderResult {
  if (bytes.length < 2) return { kind: "incomplete" };
  const b0 = bytes[0]!;
  const b1 = bytes[1]!;
  const fin = (b0 & 0x80) !== 0;
  const rsv1 = (b0 & 0x40) !== 0;
  const opcode = b0 & 0x0f;
  const masked = (b1 & 0x80) !== 0;
  const len7 = b1 & 0x7f;
  const control = opcode >= 0x8;
  // §5.2: unknown opcodes and reserved bits no extension defined fail the connection.
  if (!KNOWN.has(opcode)) return invalid(`unknown opcode 0x${opcode.toString(16)}`);
  if ((b0 & 0x30) !== 0) return invalid("RSV2 or RSV3 set, which no extension here defines");
  if (rsv1 && !rules.deflate) return invalid("RSV1 set without permessage-deflate");
  // RFC 7692 §6.1: only the first frame of a data message carries the "compressed" bit.
  if (rsv1 && opcode !== OPCODE.text && opcode !== OPCODE.binary) return invalid("RSV1 set on a control or continuation frame");
  // §5.5: control frames are never fragmented and carry at most 125 bytes.
  if (control && !fin) return invalid("a fragmented control frame");
  if (control && len7 > 125) return invalid("a control frame longer than 125 bytes");
  if (masked !== rules.masked) return invalid(rules.masked ? "an unmasked client frame" : "a masked server frame");

  let size = 2;
  let length = len7;
  if (len7 === 126) {
    if (bytes.length < 4) return { kind: "incomplete" };
    length = (bytes[2]! << 8) | bytes[3]!;
    size = 4;
  } else if (len7 === 127) {
    if (bytes.length < 10) return { kind: "incomplete" };
    const view = new DataView(bytes.buffer, bytes.byteOffset, 10);
    const high = view.getUint32(2);
    if (high >= 0x80000000) return invalid("a 64-bit length with the top bit set");
    // Past 2^53 a length is no longer an exact number; no real stream gets near it.
    if (high >= 0x200000) return invalid("a 64-bit length past 2^53 bytes");
    length = high * 0x100000000 + view.getUint32(6);
    size = 10;
  }
  // Lengths not in their shortest form are tolerated: the frame is still unambiguous.
  let mask: Uint8Array | null = null;
  if (masked) {
    if (bytes.length < size + 4) return { kind: "incomplete" };
    // A copy (Buffer's slice would be a view): the bytes under it are reused for the next header.
    mask = new Uint8Array(bytes.subarray(size, size + 4));
    size += 4;
  }
  return { kind: "ok", header: { fin, rsv1, opcode, mask, length }, size };
}

function invalid(reason: string): HeaderResult {
  return { kind: "invalid", reason };
}

export type FramePiece =
  | { kind: "header"; header: FrameHeader }
  /** Payload bytes of the current frame, starting `offset` bytes into its payload. */
  | { kind: "payload"; bytes: Uint8Array; offset: number }
  | { kind: "end" }
  | { kind: "invalid"; reason: string };

export interface FrameSplitter {
  /** The pieces in `chunk`; none once a close frame ended or the stream was invalid. */
  push(chunk: Uint8Array): FramePiece[];
  /** Inside a frame, or holding part of a header. */
  readonly midFrame: boolean;
}

export function createFrameSplitter(rules: FrameRules): FrameSplitter {
  const head = new Uint8Array(MAX_HEADER_BYTES);
  let held = 0;
  let frame: FrameHeader | null = null;
  let seen = 0;
  let stopped = false;

  function push(chunk: Uint8Array): FramePiece[] {
    const out: FramePiece[] = [];
    let i = 0;
    while (i < chunk.length && !stopped) {
      if (frame === null) {
        const take = Math.min(MAX_HEADER_BYTES - held, chunk.length - i);
        head.set(chunk.subarray(i, i + take), held);
        const result = parseFrameHeader(head.subarray(0, held + take), rules);
        if (result.kind === "incomplete") {
          held += take;
          i += take;
          continue;
        }
        if (result.kind === "invalid") {
          stopped = true;
          out.push(result);
          break;
        }
        i += result.size - held;
        held = 0;
        frame = result.header;
        seen = 0;
        out.push({ kind: "header", header: frame });
      } else {
        const n = Math.min(frame.length - seen, chunk.length - i);
        out.push({ kind: "payload", bytes: chunk.subarray(i, i + n), offset: seen });
        seen += n;
        i += n;
      }
      if (frame.length === seen) endFrame(out);
    }
    return out;
  }

  function endFrame(out: FramePiece[]): void {
    // §5.5.1: nothing may follow a close frame, so what does is not read.
    if (frame!.opcode === OPCODE.close) stopped = true;
    frame = null;
    out.push({ kind: "end" });
  }

  return {
    push,
    get midFrame() {
      return frame !== null || held > 0;
    },
  };
}

/** Copies `src`, the payload bytes starting `offset` into a frame, to `dst` at `at`, unmasking them. */
export function unmaskInto(dst: Uint8Array, at: number, src: Uint8Array, mask: Uint8Array | null, offset: number): void {
  if (mask === null) return dst.set(src, at);
  for (let i = 0; i < src.length; i++) dst[at + i] = src[i]! ^ mask[(offset + i) & 3]!;
}
