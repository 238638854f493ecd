// Provider answers of the wrong shape through the daemon (real processes, body capture on): JSON
// that is not what the adapter expects, non-UTF-8, compression bombs, a giant body, broken framing.
// The client gets the upstream's bytes unchanged (or, where framing broke, an unchanged prefix and
// a close, or the daemon's 502 when there was no head to forward); the row records what it could;
// the daemon's memory stays bounded throughout, with bombs in parallel.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { STARTUP_HOOK_MS } from "../harness/meter.ts";
import { createHash } from "node:crypto";
import { ANSWER_NAMES, answer, hostileScript } from "./_answers.ts";
import { type HostileEnv, mb, RSS_BOUND, startHostileEnv, vitals } from "./_env.ts";
import { bodyOf, runTlsCases, statusLine, type TlsOutcome } from "./_wire.ts";

let env: HostileEnv;
beforeAll(async () => {
  env = await startHostileEnv({ script: hostileScript, extraToml: "[capture]\nbody_capture = true\n" });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

const request = (ua: string) => `POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nUser-Agent: ${ua}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** What the client must see: the upstream's bytes, a prefix of them then a close, or our 502. */
type ClientSees = "same" | "prefix" | { status: string; body: string };

interface Expected {
  client: ClientSees;
  row: { status: number | null; tokens_complete: 0 | 1; input_tokens?: number; output_tokens?: number; model?: string };
  note: string | null | RegExp;
}

const CAP = "decoded body reached the 64 MiB cap; the rest was not read";
const EXPECT: Record<string, Expected> = {
  "usage-is-a-string": { client: "same", row: { status: 200, tokens_complete: 0 }, note: "the response carried no final usage report" },
  "root-is-an-array": { client: "same", row: { status: 200, tokens_complete: 0 }, note: /^the response carried no final usage report/ },
  "tokens-as-strings-and-negatives": { client: "same", row: { status: 200, tokens_complete: 0, input_tokens: 0, output_tokens: 0 }, note: /^usage input_tokens, output_tokens not a token count; counted as 0/ },
  "tokens-past-integer-range": { client: "same", row: { status: 200, tokens_complete: 0, input_tokens: 0, output_tokens: 0 }, note: /^usage input_tokens, output_tokens not a token count; counted as 0/ },
  "json-cut-mid-document": { client: "same", row: { status: 200, tokens_complete: 0, input_tokens: 3 }, note: "response body is incomplete JSON (the body ended inside a JSON value)" },
  "json-nested-100000-deep": { client: "same", row: { status: 200, tokens_complete: 0 }, note: /^the response carried no final usage report/ },
  "non-utf8-in-json-strings": { client: "same", row: { status: 200, tokens_complete: 1, input_tokens: 3, output_tokens: 4, model: "claude-\ufffd\ufffd" }, note: /^no price known for anthropic model/ },
  "binary-labelled-json": { client: "same", row: { status: 200, tokens_complete: 0 }, note: /^response body is not valid JSON \(unexpected 0xff at byte 0\)/ },
  "non-utf8-in-sse": { client: "same", row: { status: 200, tokens_complete: 1, input_tokens: 11, output_tokens: 22 }, note: null },
  "sse-event-of-20-mib": { client: "same", row: { status: 200, tokens_complete: 0, input_tokens: 11, output_tokens: 22 }, note: "1 SSE event(s) passed the 16 MiB cap and were skipped" },
  "non-utf8-header-values": { client: "same", row: { status: 200, tokens_complete: 1, input_tokens: 3, output_tokens: 4 }, note: null },
  "gzip-bomb-1-mib-to-1-gib": { client: "same", row: { status: 200, tokens_complete: 0, input_tokens: 5, output_tokens: 7 }, note: new RegExp(`^${CAP}`) },
  "nested-gzip-bomb-1-kib-to-1-gib": { client: "same", row: { status: 200, tokens_complete: 0, input_tokens: 5, output_tokens: 7 }, note: new RegExp(`^${CAP}`) },
  "corrupt-gzip": { client: "same", row: { status: 200, tokens_complete: 0 }, note: /^response body is incomplete JSON \(empty body\)/ },
  "unknown-content-encoding": { client: "same", row: { status: 200, tokens_complete: 0 }, note: /^unsupported content-encoding "x-hostile"/ },
  "giant-body-80-mib": { client: "same", row: { status: 200, tokens_complete: 1, input_tokens: 5, output_tokens: 7 }, note: null },
  "invalid-chunk-size": { client: "prefix", row: { status: 200, tokens_complete: 0 }, note: /^upstream body: invalid chunk size "zz"/ },
  "response-head-past-64-kib": {
    client: { status: "HTTP/1.1 502 Bad Gateway", body: "Halton Meter: api.anthropic.com sent response head larger than 65536 bytes\n" },
    row: { status: null, tokens_complete: 0 },
    note: /^response head larger than 65536 bytes/,
  },
  "garbage-instead-of-a-status-line": {
    client: { status: "HTTP/1.1 502 Bad Gateway", body: "Halton Meter: api.anthropic.com sent malformed status line from upstream\n" },
    row: { status: null, tokens_complete: 0 },
    note: /^malformed status line from upstream/,
  },
  "cut-off-before-content-length": { client: "same", row: { status: 200, tokens_complete: 0 }, note: /^upstream closed mid-response/ },
  "content-length-and-chunked": { client: "same", row: { status: 200, tokens_complete: 1, input_tokens: 8, output_tokens: 9 }, note: null },
  "invalid-content-length": { client: "prefix", row: { status: null, tokens_complete: 0 }, note: /^upstream sent an invalid Content-Length/ },
};

test("every scripted answer has its expectation", () => {
  expect(Object.keys(EXPECT).sort()).toEqual([...ANSWER_NAMES].sort());
});

describe("answers of the wrong shape, one after another on the internal port", () => {
  let got: Map<string, TlsOutcome>;
  beforeAll(async () => {
    const outcomes = await runTlsCases(env.ourCaPath, ANSWER_NAMES.map((name) => ({ name, port: env.sb.ports.internal, steps: [{ send: request(`hostile/${name}`) }], timeoutMs: 30_000 })));
    got = new Map(outcomes.map((o) => [o.name, o]));
  }, 60_000);

  test.each(ANSWER_NAMES)("%s", async (name) => {
    const want = EXPECT[name]!;
    const o = got.get(name)!;
    const sent = answer(name).bytes;
    expect(o.error).toBeUndefined();
    expect(o.closed).toBe(true);
    if (want.client === "same") {
      expect([o.length, o.sha256]).toEqual([sent.length, sha256(sent)]);
    } else if (want.client === "prefix") {
      expect(o.length).toBeLessThan(sent.length);
      expect(o.head.equals(sent.subarray(0, o.length))).toBe(true);
    } else {
      expect([statusLine(o.head), bodyOf(o.head)]).toEqual([want.client.status, want.client.body]);
    }
    const row = await env.rowFor(`hostile/${name}`);
    expect(row).toMatchObject(want.row);
    if (want.note === null || typeof want.note === "string") expect(row.note).toBe(want.note);
    else expect(String(row.note)).toMatch(want.note);
  });

  test("body capture keeps the bombs' first MiB, decoded, and says where it cut", () => {
    const kept = env.query<{ user_agent: string; response_body: string }>(
      "SELECT r.user_agent, b.response_body FROM bodies b JOIN requests r ON r.id = b.request_id WHERE r.user_agent LIKE 'hostile/%bomb%' ORDER BY r.id",
    );
    expect(kept.map((k) => k.user_agent)).toEqual(["hostile/gzip-bomb-1-mib-to-1-gib", "hostile/nested-gzip-bomb-1-kib-to-1-gib"]);
    for (const k of kept) {
      expect(k.response_body).toContain('"usage":{"input_tokens":5,"output_tokens":7},"pad":"aaaa');
      expect(k.response_body).toMatch(/\n\[halton-meter: body cut at 1048576 bytes; \d+ bytes received \(gzip(, gzip)? on the wire, stored decoded\)\]$/);
    }
  });
});

describe("bombs and a giant body at the same time", () => {
  // Directly on the internal port: each bomb holds the daemon's event loop for its 64 MiB of
  // decoding (about 150 ms here), long enough for the edge's 50 ms health probe to give up and
  // tunnel a new connection raw (fail-open, unmetered), which a client trusting only our CA refuses.
  test("every client gets its bytes unchanged and every exchange its row", async () => {
    // Six bombs at once, each decoded up to the 64 MiB cap (tests/hostile/adapters.test.ts pins
    // the mechanism: decoded output goes on in 16 KiB pieces, never held whole).
    const bombs = Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? "gzip-bomb-1-mib-to-1-gib" : "nested-gzip-bomb-1-kib-to-1-gib"));
    const names = [...bombs, "giant-body-80-mib"];
    const runs = names.map((name, i) => {
      const ua = `hostile/${name}#parallel-${i}`;
      return runTlsCases(env.ourCaPath, [{ name, port: env.sb.ports.internal, steps: [{ send: request(ua) }], timeoutMs: 30_000 }]).then(([o]) => ({ o: o!, name, ua }));
    });
    for (const { o, name, ua } of await Promise.all(runs)) {
      const sent = answer(name).bytes;
      expect([o.error, o.length, o.sha256, o.closed]).toEqual([undefined, sent.length, sha256(sent), true]);
      expect(await env.rowFor(ua)).toMatchObject(EXPECT[name]!.row);
    }
  }, 60_000);

  test("a bomb and the giant body through the edge, one after the other: chained and metered", async () => {
    for (const name of ["nested-gzip-bomb-1-kib-to-1-gib", "giant-body-80-mib"]) {
      const ua = `hostile/${name}#via-edge`;
      const [o] = await runTlsCases(env.ourCaPath, [{ name, port: env.sb.ports.edge, steps: [{ send: request(ua) }], timeoutMs: 30_000 }]);
      const sent = answer(name).bytes;
      expect([o!.error, o!.length, o!.sha256, o!.closed]).toEqual([undefined, sent.length, sha256(sent), true]);
      expect(await env.rowFor(ua)).toMatchObject(EXPECT[name]!.row);
    }
  }, 60_000);
});

describe("after the corpus", () => {
  test("a normal request is metered and /health answers", async () => {
    const [o] = await runTlsCases(env.ourCaPath, [{ name: "normal", port: env.sb.ports.edge, steps: [{ send: request("hostile/after-provider") }] }]);
    expect(statusLine(o!.head)).toBe("HTTP/1.1 200 OK");
    const row = await env.rowFor("hostile/after-provider");
    expect([row.status, row.tokens_complete, row.input_tokens]).toEqual([200, 1, 1]);
  });

  test("no process died and the daemon's peak resident memory stayed bounded", async () => {
    const v = await vitals(env);
    console.log(`daemon RSS ${mb(v.daemonRss)} (peak ${mb(v.daemonPeak)}), edge RSS ${mb(v.edgeRss)} (peak ${mb(v.edgePeak)})`);
    expect([v.daemonAlive, v.edgeAlive, v.health]).toEqual([true, true, true]);
    expect(v.daemonPeak!).toBeLessThan(RSS_BOUND);
    expect(v.edgePeak!).toBeLessThan(RSS_BOUND);
  });
});
