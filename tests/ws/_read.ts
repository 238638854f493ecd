// Test helpers: run bytes through a reader with any chunking, and show its events as short lines.

import { createWsReader, type WsEvent, type WsReaderOptions } from "../../core/ws/reader.ts";

export const DEFLATE = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

/** Every event, `end()`'s included, of a reader fed `chunks` in order. */
export function events(chunks: Uint8Array | Uint8Array[], opts: Partial<WsReaderOptions> = {}): WsEvent[] {
  const r = createWsReader({ from: "server", deflate: null, ...opts });
  return [...(Array.isArray(chunks) ? chunks : [chunks]).flatMap((c) => r.push(c)), ...r.end()];
}

export function read(chunks: Uint8Array | Uint8Array[], opts: Partial<WsReaderOptions> = {}): string[] {
  return events(chunks, opts).map(show);
}

export function show(e: WsEvent): string {
  switch (e.kind) {
    case "message":
      return `${e.opcode} ${e.opcode === "text" ? Buffer.from(e.data).toString() : `${e.data.length} bytes`}`;
    case "ping":
    case "pong":
      return `${e.kind} ${Buffer.from(e.data).toString()}`;
    case "close":
      return `close ${e.code ?? "-"} ${e.reason ?? ""}`.trimEnd();
    case "skipped":
      return `skipped ${e.reason} ${e.opcode} ${e.bytes}`;
    case "invalid":
      return `invalid: ${e.reason}`;
    case "truncated":
      return "truncated";
  }
}

export function oneByteChunks(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (b) => Uint8Array.of(b));
}
