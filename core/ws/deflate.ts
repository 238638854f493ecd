// RFC 7692 permessage-deflate, as an observer needs it: the parameters the 101 response agreed to,
// and a per-direction inflater that keeps the sliding window between messages.
//
// Why one-shot inflates with a dictionary rather than one long-lived inflate stream: node:zlib's
// streams answer asynchronously (core/providers/_decode.ts needs zlib internals to get round it),
// and a message may end its DEFLATE stream with a final block while the next still refers back
// into its window (RFC 7692 §7.2.3 shows such a block). Handing the last 2^windowBits bytes of
// output to `inflateRawSync` as the preset dictionary decodes exactly what a streaming inflater
// would (tests/ws/deflate.test.ts checks it against a streaming compressor for windows 8..15), for
// about 7 µs more per message with a 32 KiB window on Bun 1.4.4.

import * as zlib from "node:zlib";
import type { SkipReason } from "./types.ts";

export interface DeflateParams {
  /** The server starts every message with an empty window (its messages to the client). */
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** LZ77 window of the server's compressor, 8..15. */
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

const DEFAULT_WINDOW_BITS = 15;

/**
 * The permessage-deflate parameters in a 101 response's `Sec-WebSocket-Extensions` (repeated
 * header lines joined with ", "; null when absent), or null when it was not negotiated. Other extensions are
 * ignored. Lenient on purpose: the endpoints have already agreed, so an unknown parameter is
 * skipped and a window size out of 8..15 reads as 15, the widest, which decodes any stream.
 */
export function negotiatedDeflate(header: string | null): DeflateParams | null {
  if (header === null) return null;
  for (const extension of splitOutsideQuotes(header, ",")) {
    const [name, ...params] = splitOutsideQuotes(extension, ";");
    if (name?.trim().toLowerCase() !== "permessage-deflate") continue;
    const found: DeflateParams = {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: DEFAULT_WINDOW_BITS,
      clientMaxWindowBits: DEFAULT_WINDOW_BITS,
    };
    for (const param of params) {
      const eq = param.indexOf("=");
      const key = (eq === -1 ? param : param.slice(0, eq)).trim().toLowerCase();
      const value = eq === -1 ? null : unquote(param.slice(eq + 1).trim());
      if (key === "server_no_context_takeover") found.serverNoContextTakeover = true;
      else if (key === "client_no_context_takeover") found.clientNoContextTakeover = true;
      else if (key === "server_max_window_bits") found.serverMaxWindowBits = windowBits(value);
      else if (key === "client_max_window_bits") found.clientMaxWindowBits = windowBits(value);
    }
    return found;
  }
  return null;
}

function windowBits(value: string | null): number {
  const bits = value !== null && /^\d{1,2}$/.test(value) ? Number(value) : 0;
  return bits >= 8 && bits <= 15 ? bits : DEFAULT_WINDOW_BITS;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** RFC 7692 §7.2.2: the sender removed these four bytes from the end of every message. */
export const DEFLATE_TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

export type InflateResult = { kind: "ok"; data: Uint8Array } | { kind: "failed"; reason: SkipReason };

export interface Inflater {
  /** One message's payload, already followed by DEFLATE_TAIL. Never throws. */
  inflate(payload: Uint8Array): InflateResult;
  /** A compressed message of this direction was not inflated: later ones may refer into it. */
  lose(): void;
}

export interface InflaterOptions {
  noContextTakeover: boolean;
  windowBits: number;
  maxOutputBytes: number;
}

export function createInflater(options: InflaterOptions): Inflater {
  // zlib-based compressors run an agreed window of 8 as 9 (zlib has no 256-byte raw window): 512 bytes read either.
  const keep = 1 << Math.max(options.windowBits, 9);
  let history: Uint8Array | null = null;
  let filled = 0;
  let lost = false;

  function remember(out: Uint8Array): void {
    history ??= new Uint8Array(keep);
    if (out.length >= keep) {
      history.set(out.subarray(out.length - keep));
      filled = keep;
      return;
    }
    const kept = Math.min(filled, keep - out.length);
    history.copyWithin(0, filled - kept, filled);
    history.set(out, kept);
    filled = kept + out.length;
  }

  function inflate(payload: Uint8Array): InflateResult {
    if (lost) return { kind: "failed", reason: "lost-context" };
    // A message rarely ends its DEFLATE stream: the default Z_FINISH would call it "unexpected end of file".
    const settings: zlib.ZlibOptions = { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: options.maxOutputBytes };
    if (!options.noContextTakeover && filled > 0) settings.dictionary = history!.subarray(0, filled);
    let out: Buffer;
    try {
      out = zlib.inflateRawSync(payload, settings);
    } catch (err) {
      lose();
      // maxOutputLength stops zlib as soon as the output passes it: a bomb never inflates in full.
      const code = (err as { code?: unknown } | null)?.code;
      return { kind: "failed", reason: code === "ERR_BUFFER_TOO_LARGE" ? "too-large" : "inflate-failed" };
    }
    const data = new Uint8Array(out.buffer, out.byteOffset, out.length);
    if (!options.noContextTakeover) remember(data);
    return { kind: "ok", data };
  }

  function lose(): void {
    if (!options.noContextTakeover) lost = true;
  }

  return { inflate, lose };
}
