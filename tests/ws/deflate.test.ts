// permessage-deflate: the 101's header read into parameters, and every message inflated
// byte-identically to what a real streaming compressor was given, for every window size, with and
// without context takeover; context lost exactly when a message could not be inflated.

import { describe, expect, test } from "bun:test";
import { deflateRawSync } from "node:zlib";
import { negotiatedDeflate } from "../../core/ws/deflate.ts";
import { Compressor, frame, noise, text, twoChunkSplits } from "./_encode.ts";
import { DEFLATE, events, read } from "./_read.ts";

const SYNC_FLUSH = 2;
const binary = (payload: Uint8Array, more = {}) => frame({ opcode: 2, payload, ...more });

describe("negotiatedDeflate", () => {
  const base = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  test.each([
    ["permessage-deflate", base],
    ["permessage-deflate; client_max_window_bits=10; server_no_context_takeover", { ...base, serverNoContextTakeover: true, clientMaxWindowBits: 10 }],
    ['x-webkit-foo; a="1,2", PERMESSAGE-DEFLATE ; server_max_window_bits="12" ; client_no_context_takeover', { ...base, clientNoContextTakeover: true, serverMaxWindowBits: 12 }],
    ["permessage-deflate; server_max_window_bits=8; client_max_window_bits=9", { ...base, serverMaxWindowBits: 8, clientMaxWindowBits: 9 }],
    // Lenient: the endpoints already agreed, so what is not understood reads as the widest window.
    ["permessage-deflate; server_max_window_bits=7; client_max_window_bits", base],
    ["permessage-deflate; server_max_window_bits=99999999999999; mystery=1", base],
    ["permessage-deflate; client_no_context_takeover, permessage-deflate; server_no_context_takeover", { ...base, clientNoContextTakeover: true }],
    ["x-webkit-deflate-frame", null],
    ['x-foo; note="permessage-deflate, yes"', null],
    ["", null],
    [null, null],
  ] as const)("Sec-WebSocket-Extensions %p", (header, want) => {
    expect(negotiatedDeflate(header)).toEqual(want);
  });
});

describe("against a streaming compressor", () => {
  for (let windowBits = 8; windowBits <= 15; windowBits++) {
    for (const takeover of [true, false]) {
      test(`window ${windowBits}, ${takeover ? "with" : "without"} context takeover: byte-identical, back-references to the window's far end`, async () => {
        // zlib runs a window of 8 as 9; its longest reference is the window less 262 bytes.
        const reach = (1 << Math.max(windowBits, 9)) - 300;
        const far = noise(reach, windowBits);
        const other = noise(reach, windowBits + 100);
        const messages = [far, far, new TextEncoder().encode('{"type":"response.output_text.delta","delta":"hi"}'), other, other.subarray(0, 100), far.subarray(0, 150)];
        const c = new Compressor({ takeover, windowBits });
        const compressed = [];
        for (const m of messages) compressed.push(await c.compress(m));
        c.close();
        // With takeover, a repeat is references one window back (258 bytes each), not `reach` bytes.
        if (takeover) expect(compressed[1]!.length).toBeLessThan(reach / 10);
        else expect(compressed[1]!.length).toBeGreaterThan(reach);
        const deflate = { ...DEFLATE, serverNoContextTakeover: !takeover, serverMaxWindowBits: windowBits };
        const got = events(Buffer.concat(compressed.map((z) => binary(z, { rsv1: true }))), { deflate });
        expect(got).toEqual(messages.map((data) => ({ kind: "message", opcode: "binary", data: Uint8Array.from(data) })));
      });
    }
  }

  test("the same messages at every split of a compressed frame that refers back", async () => {
    const messages = ['{"type":"response.created","response":{"id":"resp_1"}}', '{"type":"response.output_text.delta","delta":"hello"}', '{"type":"response.output_text.delta","delta":"hello"}'];
    const c = new Compressor({ takeover: true, windowBits: 10 });
    const frames = [];
    for (const m of messages) frames.push(text(await c.compress(m), { rsv1: true }));
    c.close();
    const deflate = { ...DEFLATE, serverMaxWindowBits: 10 };
    const want = messages.map((m) => `text ${m}`);
    for (const [a, b] of twoChunkSplits(frames[2]!)) expect(read([frames[0]!, frames[1]!, a, b], { deflate })).toEqual(want);
  });

  test("a compressed client message, masked and fragmented with a ping between, then a plain one", async () => {
    const c = new Compressor({ takeover: true });
    const z = await c.compress("fragmented and compressed");
    c.close();
    const stream = Buffer.concat([
      text(z.subarray(0, 5), { rsv1: true, fin: false, mask: true }),
      frame({ opcode: 9, payload: "", mask: true }),
      frame({ opcode: 0, payload: z.subarray(5), mask: true }),
      text("plain", { mask: true }),
    ]);
    expect(read(stream, { from: "client", deflate: DEFLATE })).toEqual(["ping ", "text fragmented and compressed", "text plain"]);
  });
});

describe("forms RFC 7692 allows", () => {
  test("a message that ends its DEFLATE stream (BFINAL), and a next one that refers back into it", () => {
    const first = new TextEncoder().encode("the same words, and the same words again");
    // §7.2.1: a compressor that finished the stream adds an empty stored block, then strips 4 bytes.
    const finished = Buffer.concat([deflateRawSync(first), Uint8Array.of(0)]);
    const second = deflateRawSync(first, { dictionary: first, finishFlush: SYNC_FLUSH }).subarray(0, -4);
    expect(second.length).toBeLessThan(10);
    const want = `text ${Buffer.from(first).toString()}`;
    expect(read(Buffer.concat([text(finished, { rsv1: true }), text(second, { rsv1: true })]), { deflate: DEFLATE })).toEqual([want, want]);
  });

  test("empty messages: no payload, or the single 0x00 byte", () => {
    expect(read(Buffer.concat([text("", { rsv1: true }), text(Uint8Array.of(0), { rsv1: true }), text("next")]), { deflate: DEFLATE })).toEqual(["text ", "text ", "text next"]);
  });
});

describe("lost context", () => {
  test("after a compressed message over the cap, later compressed ones are skipped, plain ones read", async () => {
    const c = new Compressor({ takeover: true });
    const big = await c.compress(noise(20_000, 1));
    const after = await c.compress("after");
    c.close();
    const stream = Buffer.concat([binary(big, { rsv1: true }), text(after, { rsv1: true }), text("plain"), text(after, { rsv1: true })]);
    expect(read(stream, { deflate: DEFLATE, maxMessageBytes: 10_000 })).toEqual([`skipped too-large binary ${big.length}`, `skipped lost-context text ${after.length}`, "text plain", `skipped lost-context text ${after.length}`]);
  });

  test("garbage marked compressed is inflate-failed and loses the context; without takeover nothing is lost", () => {
    const garbage = text(Uint8Array.of(0xff, 0xff, 0xff), { rsv1: true });
    const fine = text(deflateRawSync("ok", { finishFlush: SYNC_FLUSH }).subarray(0, -4), { rsv1: true });
    expect(read(Buffer.concat([garbage, fine]), { deflate: DEFLATE })).toEqual(["skipped inflate-failed text 3", "skipped lost-context text 4"]);
    expect(read(Buffer.concat([garbage, fine]), { deflate: { ...DEFLATE, serverNoContextTakeover: true } })).toEqual(["skipped inflate-failed text 3", "text ok"]);
  });

  test("a peer that refers past the window it agreed to is inflate-failed; each direction keeps its own window", async () => {
    const far = noise(4000, 3);
    const c = new Compressor({ takeover: true, windowBits: 15 });
    const [first, repeat] = [await c.compress(far), await c.compress(far)];
    c.close();
    const stream = Buffer.concat([binary(first, { rsv1: true, mask: true }), binary(repeat, { rsv1: true, mask: true })]);
    const client = (params: object) => read(stream, { from: "client", deflate: { ...DEFLATE, ...params } });
    expect(client({ clientMaxWindowBits: 9 })).toEqual(["binary 4000 bytes", `skipped inflate-failed binary ${repeat.length}`]);
    expect(client({ clientMaxWindowBits: 12, serverMaxWindowBits: 9 })).toEqual(["binary 4000 bytes", "binary 4000 bytes"]);
  });
});

describe("bombs", () => {
  const bomb = deflateRawSync(Buffer.alloc(256 << 20), { finishFlush: SYNC_FLUSH }).subarray(0, -4);

  for (const takeover of [false, true]) {
    test(`256 MiB from ${(bomb.length / 1024).toFixed(0)} KiB, ${takeover ? "with" : "without"} takeover: skipped, its output never held`, () => {
      const compressedNext = text(deflateRawSync("next", { finishFlush: SYNC_FLUSH }).subarray(0, -4), { rsv1: true });
      const before = process.memoryUsage().rss;
      const out = read(Buffer.concat([text(bomb, { rsv1: true }), text("plain"), compressedNext]), { deflate: { ...DEFLATE, serverNoContextTakeover: !takeover }, maxMessageBytes: 1 << 20 });
      expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20);
      expect(out).toEqual([`skipped too-large text ${bomb.length}`, "text plain", takeover ? "skipped lost-context text 6" : "text next"]);
    });
  }

  test("what inflates to exactly the cap is read; one byte more is too large", () => {
    const z = (n: number) => text(deflateRawSync(Buffer.alloc(n, 0x61), { finishFlush: SYNC_FLUSH }).subarray(0, -4), { rsv1: true });
    const opts = { deflate: { ...DEFLATE, serverNoContextTakeover: true }, maxMessageBytes: 5000 };
    expect(read(z(5000), opts)).toEqual([`text ${"a".repeat(5000)}`]);
    expect(read(z(5001), opts)[0]).toStartWith("skipped too-large text ");
  });
});
