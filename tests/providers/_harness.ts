// Test helpers: replay one exchange into an observer, with any chunking, and compare results.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "bun:test";
import type { RawHeaders } from "../../core/http/types.ts";
import { ZERO_TOKENS, type TokenCounts, type UsageResult } from "../../core/usage/types.ts";
import { createObserver, type ObserverOptions } from "../../core/providers/index.ts";

export const FIXTURES = join(import.meta.dir, "fixtures");

export function fixtureBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, file)));
}

export interface Exchange {
  host: string;
  method: string;
  target: string;
  requestHeaders?: RawHeaders;
  /** Request body bytes, or a value to JSON-encode. */
  requestBody?: Uint8Array | unknown;
  status: number;
  responseHeaders: RawHeaders;
}

export interface ReplayOptions extends ObserverOptions {
  /** Response body chunks, in order. */
  chunks: Uint8Array[];
  complete?: boolean;
  requestChunks?: Uint8Array[];
}

const encoder = new TextEncoder();

export function requestBytes(exchange: Exchange): Uint8Array {
  const body = exchange.requestBody;
  if (body === undefined) return new Uint8Array(0);
  return body instanceof Uint8Array ? body : encoder.encode(JSON.stringify(body));
}

export function replay(exchange: Exchange, options: ReplayOptions): UsageResult {
  const observer = createObserver(
    {
      host: exchange.host,
      method: exchange.method,
      target: exchange.target,
      requestHeaders: exchange.requestHeaders ?? [["Content-Type", "application/json"]],
    },
    options,
  );
  if (observer === null) throw new Error(`no observer for ${exchange.host}`);
  for (const chunk of options.requestChunks ?? [requestBytes(exchange)]) observer.onRequestBody(chunk);
  observer.onResponseHead({ status: exchange.status, headers: exchange.responseHeaders });
  for (const chunk of options.chunks) observer.onResponseBody(chunk);
  return observer.finish(options.complete ?? true);
}

/** `bytes` cut in two at `at`. */
export function twoChunks(bytes: Uint8Array, at: number): Uint8Array[] {
  return [bytes.subarray(0, at), bytes.subarray(at)];
}

export function oneByteChunks(bytes: Uint8Array): Uint8Array[] {
  return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
}

export function tokens(partial: Partial<TokenCounts>): TokenCounts {
  return { ...ZERO_TOKENS, ...partial };
}

export interface Expected extends Omit<UsageResult, "note"> {
  /** A pattern the note must match, or null for no note. */
  note: RegExp | null;
}

export function expectResult(actual: UsageResult, expected: Expected): void {
  const { note, ...rest } = expected;
  const { note: actualNote, ...actualRest } = actual;
  expect(actualRest).toEqual(rest);
  if (note === null) expect(actualNote).toBeNull();
  else expect(actualNote ?? "").toMatch(note);
}

/** Seeded pseudo-random bytes, so a failure can be replayed. */
export function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Runs every recorded case of one provider, fed whole. */
export function fixtureSuite(cases: ReadonlyArray<{ name: string; file: string; expected: Expected } & Exchange>): void {
  for (const c of cases) {
    test(c.name, () => expectResult(replay(c, { chunks: [fixtureBytes(c.file)] }), c.expected));
  }
}

/** Replays a text body (optionally cut to `length` bytes). */
export function replayText(exchange: Exchange, body: string, options: Omit<ReplayOptions, "chunks"> = {}): UsageResult {
  return replay(exchange, { ...options, chunks: [new TextEncoder().encode(body)] });
}
