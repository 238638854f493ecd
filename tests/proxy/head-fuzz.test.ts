import { describe, expect, test } from "bun:test";
import { type HeadResult, MAX_HEAD_BYTES, parseRequestHead, parseResponseHead, type RequestHead } from "../../core/proxy/head.ts";
import { REQUEST_HEADS } from "./_heads.ts";
import { prng } from "../harness/prng.ts";

// Seeded mutations of real request heads: whatever the bytes, the parser answers one of its
// three verdicts with well-formed fields, never throws, and its answer is stable when the
// input is cut at the length it reported. A failure prints the seed and the input.

const SPECIAL = [13, 10, 58, 32, 0, 0xff, 9, 0x7f];

function mutate(input: Uint8Array, rand: () => number): Uint8Array {
  let b = Array.from(input);
  const pick = (n: number) => Math.floor(rand() * n);
  const ops = 1 + pick(4);
  for (let k = 0; k < ops; k++) {
    const at = pick(b.length + 1);
    switch (pick(7)) {
      case 0: // flip one bit
        if (b.length) b[Math.min(at, b.length - 1)]! ^= 1 << pick(8);
        break;
      case 1: // insert a byte that matters to HTTP framing
        b.splice(at, 0, SPECIAL[pick(SPECIAL.length)]!);
        break;
      case 2: // insert a random byte
        b.splice(at, 0, pick(256));
        break;
      case 3: // delete a run
        b.splice(at, 1 + pick(8));
        break;
      case 4: // truncate
        b = b.slice(0, at);
        break;
      case 5: {
        // duplicate a segment in place
        const len = 1 + pick(40);
        b.splice(at, 0, ...b.slice(at, at + len));
        break;
      }
      default: // overwrite with a special byte
        if (b.length) b[Math.min(at, b.length - 1)] = SPECIAL[pick(SPECIAL.length)]!;
    }
  }
  return Uint8Array.from(b);
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Checks one verdict; returns a description of what is wrong, or null. */
function judge(input: Uint8Array, r: HeadResult<RequestHead>, max: number): string | null {
  if (r.kind === "incomplete") return Object.keys(r).length === 1 ? null : "incomplete with extra fields";
  if (r.kind === "invalid") {
    if (r.status !== 400 && r.status !== 431) return `invalid with status ${r.status}`;
    if (typeof r.reason !== "string" || r.reason.length === 0) return "invalid without a reason";
    if (r.status === 431 && input.length <= max) return "431 for an input within the limit";
    return null;
  }
  if (r.kind !== "ok") return `unknown kind ${JSON.stringify(r)}`;
  if (!Number.isInteger(r.length) || r.length < 1 || r.length > input.length || r.length > max) return `bad length ${r.length} for ${input.length} bytes`;
  const h = r.head;
  if (!TOKEN.test(h.method)) return `bad method ${JSON.stringify(h.method)}`;
  if (!/^HTTP\/1\.[01]$/.test(h.version)) return `bad version ${JSON.stringify(h.version)}`;
  if (h.target === "" || /[\s\0-\x1f\x7f]/.test(h.target)) return `bad target ${JSON.stringify(h.target)}`;
  for (const [name, value] of h.headers) {
    if (!TOKEN.test(name)) return `bad header name ${JSON.stringify(name)}`;
    if (/[\0\r\n]/.test(value)) return `bad header value ${JSON.stringify(value)}`;
  }
  // Stable under cutting: the reported head alone parses the same; one byte less is incomplete.
  const again = parseRequestHead(input.subarray(0, r.length), max);
  if (JSON.stringify(again) !== JSON.stringify(r)) return "parsing input[0..length] gives a different answer";
  if (parseRequestHead(input.subarray(0, r.length - 1), max).kind !== "incomplete") return "input[0..length-1] is not incomplete";
  return null;
}

describe("fuzz: seeded mutations of real heads", () => {
  const PER_HEAD = 400;
  for (const seed of [1, 2, 3]) {
    test(`seed ${seed}: ${REQUEST_HEADS.length * PER_HEAD} mutated heads, every verdict well-formed`, () => {
      const rand = prng(seed);
      const counts = { ok: 0, invalid: 0, incomplete: 0 };
      const problems: string[] = [];
      for (const [i, text] of REQUEST_HEADS.entries()) {
        const original = Buffer.from(`${text}{"body":true}`, "latin1");
        for (let n = 0; n < PER_HEAD; n++) {
          const input = mutate(original, rand);
          // A small limit now and then, so 431 is reached too.
          const max = n % 10 === 0 ? 64 : MAX_HEAD_BYTES;
          let r: HeadResult<RequestHead>;
          try {
            r = parseRequestHead(input, max);
            parseResponseHead(input, max);
          } catch (err) {
            problems.push(`threw ${(err as Error).message} (head ${i}, mutation ${n}): ${JSON.stringify(Buffer.from(input).toString("latin1"))}`);
            continue;
          }
          counts[r.kind]++;
          const wrong = judge(input, r, max);
          if (wrong) problems.push(`${wrong} (head ${i}, mutation ${n}): ${JSON.stringify(Buffer.from(input).toString("latin1"))}`);
        }
      }
      expect(problems.slice(0, 5)).toEqual([]);
      // The mutations reach all three verdicts, so the checks above were exercised.
      expect(counts.ok).toBeGreaterThan(100);
      expect(counts.invalid).toBeGreaterThan(100);
      expect(counts.incomplete).toBeGreaterThan(100);
    });
  }

  test("random bytes (not derived from a head) never throw", () => {
    const rand = prng(99);
    for (let n = 0; n < 3000; n++) {
      const input = Uint8Array.from({ length: Math.floor(rand() * 300) }, () => (rand() < 0.3 ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : Math.floor(rand() * 256)));
      const r = parseRequestHead(input, 128);
      expect(judge(input, r, 128)).toBeNull();
    }
  });
});
