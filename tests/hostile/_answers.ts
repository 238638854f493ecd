// Provider answers of the wrong shape, by name: the fake provider plays the one named in the
// request's User-Agent ("hostile/<name>"). Each is exact bytes, so the test can demand that the
// client got them unchanged.

import { gzipSync } from "node:zlib";
import { anthropicBody, anthropicSseEvents, type FakeConn, type FakeRequest, SSE_HEAD } from "../harness/fake-provider.ts";
import { gzipBomb, nestedBomb } from "./_bomb.ts";

export interface ProviderAnswer {
  /** The bytes the fake sends. */
  bytes: Buffer;
  /** The fake closes the connection after them (close-delimited or cut-off answers). */
  thenClose?: boolean;
}

const json = (body: string | Buffer, extra = "") => {
  const b = typeof body === "string" ? Buffer.from(body, "latin1") : body;
  return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${extra}Content-Length: ${b.length}\r\n\r\n`, "latin1"), b]);
};
/** An Anthropic message with `fields` (latin1: any byte) in place of the usual content and usage. */
const message = (fields: string, model = "claude-sonnet-4-20250514") => `{"id":"msg_x","type":"message","role":"assistant","model":"${model}",${fields}}`;
/** A chunk of a latin1 string, sized in bytes (the harness's chunk() counts UTF-8). */
const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;
const gzipped = (body: Buffer, coding = "gzip") => json(body, `Content-Encoding: ${coding}\r\n`);

const USAGE_PREFIX = '{"id":"msg_big","type":"message","model":"claude-sonnet-4-20250514","usage":{"input_tokens":5,"output_tokens":7},"pad":"';
const BOMB_INFLATED = 1 << 30;
const GIANT_BYTES = 80 * 1024 * 1024;

/** Built on first use: the giant body alone is 80 MiB. */
const builders: Record<string, () => ProviderAnswer> = {
  "usage-is-a-string": () => ({ bytes: json(message('"usage":"lots"')) }),
  "root-is-an-array": () => ({ bytes: json("[1,2,3]") }),
  "tokens-as-strings-and-negatives": () => ({ bytes: json(message('"usage":{"input_tokens":"12","output_tokens":-7}')) }),
  "tokens-past-integer-range": () => ({ bytes: json(message('"usage":{"input_tokens":1e308,"output_tokens":123456789012345678901234567890}')) }),
  "json-cut-mid-document": () => ({ bytes: json(message('"usage":{"input_tokens":3,"outp').slice(0, -1)) }),
  "json-nested-100000-deep": () => ({ bytes: json(`${"[".repeat(100_000)}${"]".repeat(100_000)}`) }),
  "non-utf8-in-json-strings": () => ({ bytes: json(message('"usage":{"input_tokens":3,"output_tokens":4},"content":[{"type":"text","text":"\xc3\x28\xff"}]', "claude-\xff\xfe")) }),
  "binary-labelled-json": () => ({ bytes: json("\xff\xfe\x00\x01\x80\x81\xc0\xc1\xf5\xff") }),
  "non-utf8-in-sse": () => {
    const [start, , end] = anthropicSseEvents({ input: 11, output: 22 });
    const junk = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\xff\xfe\xc3\x28\"}}\n\n";
    return { bytes: Buffer.from(SSE_HEAD + chunk(start!) + chunk(junk) + chunk(end!) + "0\r\n\r\n", "latin1") };
  },
  "sse-event-of-20-mib": () => {
    const [start, , end] = anthropicSseEvents({ input: 11, output: 22 });
    const huge = `event: content_block_delta\ndata: ${"x".repeat(20 * 1024 * 1024)}\n\n`;
    return { bytes: Buffer.from(SSE_HEAD + chunk(start!) + chunk(huge) + chunk(end!) + "0\r\n\r\n", "latin1") };
  },
  "non-utf8-header-values": () => ({ bytes: json(anthropicBody({ input: 3, output: 4 }), "X-Weird: \xff\xfe\xc3\x28\r\nX-Latin: caf\xe9\r\n") }),
  "gzip-bomb-1-mib-to-1-gib": () => ({ bytes: gzipped(gzipBomb(USAGE_PREFIX, "a", BOMB_INFLATED, '"}').gzip) }),
  "nested-gzip-bomb-1-kib-to-1-gib": () => ({ bytes: gzipped(nestedBomb(gzipBomb(USAGE_PREFIX, "a", BOMB_INFLATED, '"}')).gzip, "gzip, gzip") }),
  "corrupt-gzip": () => ({ bytes: gzipped(Buffer.concat([gzipSync(anthropicBody({ input: 3, output: 4 })).subarray(0, 20), Buffer.from("not gzip at all")])) }),
  "unknown-content-encoding": () => ({ bytes: gzipped(Buffer.from(anthropicBody({ input: 3, output: 4 })), "x-hostile") }),
  "giant-body-80-mib": () => ({ bytes: json(Buffer.concat([Buffer.from(USAGE_PREFIX), Buffer.alloc(GIANT_BYTES, "x"), Buffer.from('"}')])) }),
  "invalid-chunk-size": () => ({ bytes: Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk('{"model":"a",')}zz\r\nrest\r\n0\r\n\r\n`, "latin1") }),
  "response-head-past-64-kib": () => ({ bytes: Buffer.from(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(70_000)}\r\nContent-Length: 0\r\n\r\n`) }),
  "garbage-instead-of-a-status-line": () => ({ bytes: Buffer.from("SSH-2.0-OpenSSH_9.6\r\n\r\n"), thenClose: true }),
  "cut-off-before-content-length": () => ({ bytes: Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":"claude-sonnet-4'), thenClose: true }),
  "content-length-and-chunked": () => {
    const body = anthropicBody({ input: 8, output: 9 });
    return { bytes: Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(body)}0\r\n\r\n`) };
  },
  "invalid-content-length": () => ({ bytes: Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{"x":1}'), thenClose: true }),
};

const built = new Map<string, ProviderAnswer>();

export function answer(name: string): ProviderAnswer {
  let a = built.get(name);
  if (!a) {
    const build = builders[name];
    if (!build) throw new Error(`no hostile answer named ${name}`);
    a = build();
    built.set(name, a);
  }
  return a;
}

/** The fake provider's script: plays the answer the User-Agent names ("hostile/<name>[#tag]"), or a normal one. */
export function hostileScript(req: FakeRequest, conn: FakeConn): void {
  const ua = req.headers.find(([k]) => k.toLowerCase() === "user-agent")?.[1] ?? "";
  const name = ua.startsWith("hostile/") ? ua.slice("hostile/".length).split("#")[0]! : "";
  if (!Object.hasOwn(builders, name)) {
    const body = anthropicBody({ input: 1, output: 1 });
    conn.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    return;
  }
  const a = answer(name);
  conn.write(a.bytes);
  if (a.thenClose) conn.end();
}

export const ANSWER_NAMES = Object.keys(builders);
