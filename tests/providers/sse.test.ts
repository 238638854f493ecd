// The SSE parser: line endings, comments, multi-line data, size caps, chunk boundaries.

import { describe, expect, test } from "bun:test";
import { SseParser, type SseEvent } from "../../core/providers/_sse.ts";
import { oneByteChunks } from "./_harness.ts";

const encoder = new TextEncoder();

function parse(input: string | Uint8Array, options: { chunked?: "whole" | "bytes"; max?: number; end?: boolean } = {}): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e), options.max);
  const bytes = typeof input === "string" ? encoder.encode(input) : input;
  for (const chunk of options.chunked === "bytes" ? oneByteChunks(bytes) : [bytes]) parser.push(chunk);
  if (options.end !== false) parser.end();
  return events;
}

const ev = (data: string, event = "message"): SseEvent => ({ event, data, oversized: false });

describe("SseParser", () => {
  test("LF, CRLF and CR line endings, also split between chunks", () => {
    const text = "event: a\ndata: 1\n\nevent: b\r\ndata: 2\r\n\r\nevent: c\rdata: 3\r\r";
    const expected = [ev("1", "a"), ev("2", "b"), ev("3", "c")];
    expect(parse(text)).toEqual(expected);
    expect(parse(text, { chunked: "bytes" })).toEqual(expected);
  });

  test("a CR at the end of one chunk and its LF at the start of the next make one line break", () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    parser.push(encoder.encode("data: x\r"));
    parser.push(encoder.encode("\ndata: y\r"));
    parser.push(encoder.encode("\n\r"));
    parser.push(encoder.encode("\n"));
    expect(events).toEqual([ev("x\ny")]);
  });

  test("comments and keep-alives are ignored; id and retry do not matter", () => {
    expect(parse(": keep-alive\n\n:\n\nid: 7\nretry: 1000\ndata: {}\n\n")).toEqual([ev("{}")]);
  });

  test("several data lines join with a newline; one leading space is stripped", () => {
    expect(parse("data:a\ndata:  b\ndata\n\n")).toEqual([ev("a\n b\n")]);
  });

  test("an event name applies to one event only; a blank event without data is not dispatched", () => {
    expect(parse("event: ping\n\nevent: x\ndata: 1\n\ndata: 2\n\n")).toEqual([ev("1", "x"), ev("2")]);
  });

  test("a leading byte-order mark is dropped", () => {
    expect(parse("\uFEFFdata: 1\n\n")).toEqual([ev("1")]);
  });

  test("multi-byte characters split across chunks decode whole", () => {
    expect(parse("data: 東京 🚀 größer\n\n", { chunked: "bytes" })).toEqual([ev("東京 🚀 größer")]);
  });

  test("invalid UTF-8 becomes replacement characters, not an exception", () => {
    const bytes = new Uint8Array([...encoder.encode("data: "), 0xff, 0xc3, 0x0a, 0x0a]);
    expect(parse(bytes)).toEqual([ev("\uFFFD\uFFFD")]);
  });

  test("an unterminated last event is delivered only at the end", () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    parser.push(encoder.encode("data: {\"a\":1}"));
    expect(events).toEqual([]);
    parser.end();
    expect(events).toEqual([ev('{"a":1}')]);
  });

  test("an event past the cap is delivered without data; the next one is normal", () => {
    const big = `event: huge\ndata: ${"x".repeat(100)}\ndata: more\n\nevent: small\ndata: ok\n\n`;
    const expected = [{ event: "huge", data: null, oversized: true }, ev("ok", "small")];
    expect(parse(big, { max: 50 })).toEqual(expected);
    expect(parse(big, { max: 50, chunked: "bytes" })).toEqual(expected);
  });
});
