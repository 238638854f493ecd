// The generic harness: every recorded exchange must give the same result however its bytes are
// cut (every two-chunk split, one byte at a time), must never claim complete usage it did not
// see, and must survive junk and random bytes without throwing.

import { describe, expect, test } from "bun:test";
import type { UsageResult } from "../../core/usage/types.ts";
import { fixtureBytes, oneByteChunks, randomBytes, replay, requestBytes, twoChunks } from "./_harness.ts";
import { CASES } from "./fixtures/cases.ts";

const encoder = new TextEncoder();

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** The offsets at which `run` disagrees with `whole`; [] when it never does. */
function disagreements(length: number, whole: UsageResult, run: (i: number) => UsageResult): number[] {
  const bad: number[] = [];
  for (let i = 0; i <= length; i++) if (!Bun.deepEquals(run(i), whole)) bad.push(i);
  return bad;
}

const JUNK = [
  encoder.encode("\n\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":"),
  encoder.encode("<html><body>502 Bad Gateway</body></html>"),
  new Uint8Array([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xe2, 0x82, 0x0a, 0x0d, 0x5b, 0x7b, 0x22]),
  randomBytes(300, 7),
];

for (const c of CASES) {
  describe(c.name, () => {
    const body = fixtureBytes(c.file);
    const whole = replay(c, { chunks: [body] });
    const billed = whole.metered && c.status >= 200 && c.status < 300;

    test("the same result for every two-chunk split of the response", () => {
      expect(disagreements(body.length, whole, (i) => replay(c, { chunks: twoChunks(body, i) }))).toEqual([]);
    });

    test("the same result fed one byte at a time", () => {
      expect(replay(c, { chunks: oneByteChunks(body) })).toEqual(whole);
    });

    test("the same result for every split of the request body", () => {
      const request = requestBytes(c);
      const bad = disagreements(request.length, whole, (i) =>
        replay(c, { chunks: [body], requestChunks: twoChunks(request, i) }),
      );
      expect(bad).toEqual([]);
    });

    test("a cut response never claims complete usage", () => {
      const claims: number[] = [];
      for (let i = 0; i < body.length; i++) {
        const cut = replay(c, { chunks: [body.subarray(0, i)], complete: false });
        if (billed && cut.tokensComplete) claims.push(i);
      }
      expect(claims).toEqual([]);
    });

    // Bodies without an end marker cannot tell "ended early" from "ended": the check does not apply.
    if (c.noEndMarker !== true) test("a body that ends early reports complete usage only if it is the final usage", () => {
      const wrong: number[] = [];
      for (let i = 0; i < body.length; i++) {
        const early = replay(c, { chunks: [body.subarray(0, i)], complete: true });
        if (billed && early.tokensComplete && !Bun.deepEquals(early.tokens, whole.tokens)) wrong.push(i);
      }
      expect(wrong).toEqual([]);
    });

    test("junk after the body never throws and keeps the exchange's identity", () => {
      for (const junk of JUNK) {
        for (const chunks of [[body, junk], [concat(body, junk)], oneByteChunks(concat(body, junk))]) {
          const result = replay(c, { chunks });
          expect([result.provider, result.endpoint, result.metered]).toEqual([whole.provider, whole.endpoint, whole.metered]);
          expect(typeof result.tokensComplete).toBe("boolean");
        }
      }
    });

    test("random bytes as the response and as the request never throw", () => {
      for (let seed = 1; seed <= 20; seed++) {
        const noise = randomBytes(64 + seed * 37, seed);
        const asBody = replay(c, { chunks: [noise.subarray(0, 50), noise.subarray(50)] });
        const asRequest = replay(c, { chunks: [body], requestChunks: [noise] });
        expect(asBody.endpoint).toBe(whole.endpoint);
        if (billed) expect(asBody.tokensComplete).toBe(false);
        expect(asRequest.tokens).toEqual(whole.tokens);
      }
    });
  });
}
