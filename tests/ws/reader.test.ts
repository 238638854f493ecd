// The WebSocket reader as a transcript: frames in, events out, with every frame form RFC 6455
// allows, each violation it names, and its cap on messages. Pure: no sockets.

import { describe, expect, test } from "bun:test";
import { createWsReader } from "../../core/ws/reader.ts";
import { frame, text, twoChunkSplits } from "./_encode.ts";
import { DEFLATE, events, oneByteChunks, read } from "./_read.ts";

const close = (code: number, reason: string, mask?: boolean) => frame({ opcode: 8, payload: Buffer.concat([Buffer.from([code >> 8, code & 255]), Buffer.from(reason)]), mask });

describe("framing", () => {
  const stream = Buffer.concat([
    text("first"),
    text("frag", { fin: false }),
    frame({ opcode: 9, payload: "are you there" }),
    frame({ opcode: 0, payload: "men", fin: false }),
    frame({ opcode: 10, payload: "yes" }),
    frame({ opcode: 0, payload: "ted" }),
    text("x".repeat(300)),
    frame({ opcode: 2, payload: new Uint8Array(70_000) }),
    close(1000, "bye"),
  ]);
  const want = ["text first", "ping are you there", "pong yes", "text fragmented", `text ${"x".repeat(300)}`, "binary 70000 bytes", "close 1000 bye"];

  test("text, fragments with control frames between, 7-, 16- and 64-bit lengths, close", () => {
    expect(read(stream)).toEqual(want);
  });

  test("the same events for every two-chunk split, and one byte at a time", () => {
    const small = Buffer.concat([text("first"), text("frag", { fin: false }), frame({ opcode: 9, payload: "p" }), frame({ opcode: 0, payload: "ment" }), text("y".repeat(200)), close(1001, "")]);
    const expected = read(small);
    expect(expected).toEqual(["text first", "ping p", "text fragment", `text ${"y".repeat(200)}`, "close 1001"]);
    for (const [a, b] of twoChunkSplits(small)) expect(read([a, b])).toEqual(expected);
    expect(read(oneByteChunks(small))).toEqual(expected);
    expect(read(oneByteChunks(stream))).toEqual(want);
  });

  test("short data payloads in 16- and 64-bit length forms read the same", () => {
    const forms = Buffer.concat([text("sixteen", { lengthBits: 16 }), text("sixty-four", { lengthBits: 64 }), frame({ opcode: 2, payload: "", lengthBits: 64 })]);
    expect(read(forms)).toEqual(["text sixteen", "text sixty-four", "binary 0 bytes"]);
  });

  test("a client's frames are unmasked, the bytes given left as they were", () => {
    const bytes = Buffer.concat([text('{"type":"response.create"}', { mask: true }), frame({ opcode: 0x9, payload: "", mask: true }), text("z".repeat(70_000), { mask: Uint8Array.of(1, 2, 3, 4) })]);
    const copy = Buffer.from(bytes);
    expect(read(bytes, { from: "client" })).toEqual(['text {"type":"response.create"}', "ping ", `text ${"z".repeat(70_000)}`]);
    expect(bytes.equals(copy)).toBe(true);
  });

  test("a chunk may be reused once push returns: nothing it held is read again later", () => {
    const bytes = Buffer.concat([text("held across chunks", { mask: true }), close(1000, "", true)]);
    const r = createWsReader({ from: "client", deflate: null });
    const got = [];
    for (let i = 0; i < bytes.length; i += 3) {
      const chunk = Uint8Array.from(bytes.subarray(i, i + 3));
      got.push(...r.push(chunk));
      chunk.fill(0xee);
    }
    expect(got).toEqual([{ kind: "message", opcode: "text", data: new TextEncoder().encode("held across chunks") }, { kind: "close", code: 1000, reason: "" }]);
  });

  test("close frames: empty, a code alone, a code and a reason; the state follows", () => {
    expect(events(frame({ opcode: 8, payload: "" }))).toEqual([{ kind: "close" }]);
    expect(events(close(1001, ""))).toEqual([{ kind: "close", code: 1001, reason: "" }]);
    expect(events(close(4000, "über"))).toEqual([{ kind: "close", code: 4000, reason: "über" }]);
    const r = createWsReader({ from: "server", deflate: null });
    expect(r.state).toBe("open");
    r.push(close(1000, ""));
    expect(r.state).toBe("closed");
    expect([r.push(text("late")), r.end()]).toEqual([[], []]);
  });

  test("junk after a close is not read, in the same chunk or a later one", () => {
    const junk = Buffer.from("\xff\xff\xff junk", "latin1");
    expect(read(Buffer.concat([close(1000, ""), junk]))).toEqual(["close 1000"]);
    expect(read([close(1000, ""), junk, text("more")])).toEqual(["close 1000"]);
  });

  test("a stream that ends inside a frame or a fragmented message is truncated; a whole one is not", () => {
    expect(read(text("whole"))).toEqual(["text whole"]);
    expect(read(text("cut short").subarray(0, 6))).toEqual(["truncated"]);
    expect(read(text("open", { fin: false }))).toEqual(["truncated"]);
    expect(read(Buffer.from([0x81]))).toEqual(["truncated"]);
    expect(read(Buffer.concat([text("open", { fin: false }), frame({ opcode: 9, payload: "p" })]))).toEqual(["ping p", "truncated"]);
    const r = createWsReader({ from: "server", deflate: null });
    r.push(Buffer.from([0x81]));
    expect([r.end(), r.state, r.end()]).toEqual([[{ kind: "truncated" }], "closed", []]);
  });

  test.each([
    ["an unmasked client frame", text("x"), "client", "an unmasked client frame"],
    ["a masked server frame", text("x", { mask: true }), "server", "a masked server frame"],
    ["an unknown data opcode", frame({ opcode: 3, payload: "" }), "server", "unknown opcode 0x3"],
    ["an unknown control opcode", frame({ opcode: 11, payload: "" }), "server", "unknown opcode 0xb"],
    ["a fragmented control frame", frame({ opcode: 9, payload: "", fin: false }), "server", "a fragmented control frame"],
    ["a control frame over 125 bytes", frame({ opcode: 9, payload: "p".repeat(126) }), "server", "a control frame longer than 125 bytes"],
    ["a control frame with a 16-bit length, however short", frame({ opcode: 10, payload: "p", lengthBits: 16 }), "server", "a control frame longer than 125 bytes"],
    ["a continuation with nothing begun", frame({ opcode: 0, payload: "x" }), "server", "a continuation frame with no message to continue"],
    ["a new message inside a fragmented one", Buffer.concat([text("a", { fin: false }), text("b")]), "server", "a new data frame while a fragmented message is open"],
    ["RSV1 without deflate", text("x", { rsv1: true }), "server", "RSV1 set without permessage-deflate"],
    ["RSV2", Buffer.from([0xa1, 0x00]), "server", "RSV2 or RSV3 set, which no extension here defines"],
    ["RSV3", Buffer.from([0x91, 0x00]), "server", "RSV2 or RSV3 set, which no extension here defines"],
    ["a 64-bit length with its top bit set", Buffer.from([0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0]), "server", "a 64-bit length with the top bit set"],
    ["a 64-bit length past 2^53", Buffer.from([0x82, 0x7f, 0, 0x20, 0, 0, 0, 0, 0, 0]), "server", "a 64-bit length past 2^53 bytes"],
    ["a close frame with a 1-byte payload", frame({ opcode: 8, payload: "x" }), "server", "a close frame with a 1-byte payload"],
  ] as const)("%s: invalid, and nothing after it is read", (_name, bytes, from, reason) => {
    const r = createWsReader({ from, deflate: null });
    expect(r.push(Buffer.concat([bytes, text("after", { mask: from === "client" })]))).toEqual([{ kind: "invalid", reason }]);
    expect(r.state).toBe("invalid");
    expect([r.push(text("later", { mask: from === "client" })), r.end()]).toEqual([[], []]);
  });

  test("with deflate agreed, RSV1 is still invalid on a continuation or a control frame", () => {
    const continuation = Buffer.concat([text("a", { fin: false }), frame({ opcode: 0, payload: "b", rsv1: true })]);
    expect(read(continuation, { deflate: DEFLATE })).toEqual(["invalid: RSV1 set on a control or continuation frame"]);
    expect(read(frame({ opcode: 9, payload: "", rsv1: true }), { deflate: DEFLATE })).toEqual(["invalid: RSV1 set on a control or continuation frame"]);
  });

  test("events before a violation in the same chunk are still reported", () => {
    expect(read(Buffer.concat([text("kept"), frame({ opcode: 9, payload: "p" }), frame({ opcode: 5, payload: "" })]))).toEqual(["text kept", "ping p", "invalid: unknown opcode 0x5"]);
  });
});

describe("caps", () => {
  test("a message at the cap is read; one byte over is skipped without being kept; the next one reads", () => {
    expect(read(text("a".repeat(8000)), { maxMessageBytes: 8000 })).toEqual([`text ${"a".repeat(8000)}`]);
    const stream = Buffer.concat([text("a".repeat(5000), { fin: false }), frame({ opcode: 9, payload: "p" }), frame({ opcode: 0, payload: "b".repeat(3001) }), text("next")]);
    expect(read(stream, { maxMessageBytes: 8000 })).toEqual(["ping p", "skipped too-large text 8001", "text next"]);
  });

  test("an oversized frame is counted, not buffered: 64 MiB through a 1 MiB cap", () => {
    const r = createWsReader({ from: "server", deflate: null, maxMessageBytes: 1 << 20 });
    const header = Buffer.from([0x82, 0x7f, 0, 0, 0, 0x40, 0, 0, 0, 0]); // 1 GiB binary frame
    expect(r.push(header)).toEqual([]);
    const chunk = new Uint8Array(1 << 20);
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 64; i++) expect(r.push(chunk)).toEqual([]);
    expect(process.memoryUsage().rss - before).toBeLessThan(32 << 20);
    expect(r.end()).toEqual([{ kind: "truncated" }]);
  });
});
