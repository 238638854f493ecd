// Byte faithfulness: what the provider receives through the daemon equals what it receives
// directly, and what the client receives equals a direct exchange, byte for byte.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { anthropicBody } from "../harness/fake-provider.ts";
import { type MeterEnv, startMeter, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { MSG_BODY } from "./_env.ts";
import { rawTls } from "./_rawtls.ts";

let env: MeterEnv;

// Odd casing, duplicate headers, irregular whitespace, a header with an empty value: all must survive.
const RESPONSE_BODY = anthropicBody({ input: 77, output: 88 });
const RESPONSE = `HTTP/1.1 200 OK\r\ncontent-TYPE: application/json\r\nanthropic-ratelimit-requests-limit:   50 \r\nX-Dup: a\r\nx-dup: b\r\nX-Empty:\r\nContent-Length: ${Buffer.byteLength(RESPONSE_BODY)}\r\n\r\n${RESPONSE_BODY}`;

beforeAll(async () => {
  env = await startMeter({ prefix: "hm-daemon-", fake: { script: (_r, c) => c.write(RESPONSE) } });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

const REQ_HEAD =
  "POST /v1/messages?beta=true HTTP/1.1\r\nHost: api.anthropic.com\r\nUser-Agent: claude-cli/1.0.0 (external, cli)\r\n" +
  "anthropic-beta: interleaved-thinking-2025-05-14\r\nAnthropic-Beta: fine-grained-tool-streaming-2025-05-14\r\n" +
  "x-api-key:sk-ant-test\r\nX-Odd-Spacing:   keep  me  \r\nAccept: */*\r\nContent-Type: application/json\r\n";
const CL_REQUEST = `${REQ_HEAD}Content-Length: ${Buffer.byteLength(MSG_BODY)}\r\n\r\n${MSG_BODY}`;
const CHUNKED_REQUEST = `${REQ_HEAD}Transfer-Encoding: chunked\r\n\r\n10;ext=1\r\n${MSG_BODY.slice(0, 16)}\r\n${(MSG_BODY.length - 16).toString(16)}\r\n${MSG_BODY.slice(16)}\r\n0\r\nX-Trailer: t\r\n\r\n`;

const END = `"output_tokens":88}}`;

for (const [name, request] of [
  ["Content-Length request", CL_REQUEST],
  ["chunked request with extension and trailer", CHUNKED_REQUEST],
] as const) {
  describe(name, () => {
    for (const via of ["edge", "internal"] as const) {
      test(`via ${via}: provider sees identical request bytes, client sees identical response bytes`, async () => {
        const before = env.fake.requests().length;
        const direct = await rawTls(env, null, [{ send: request }, { until: END }], { endAfter: true });
        const port = via === "edge" ? env.sb.ports.edge : env.sb.ports.internal;
        const proxied = await rawTls(env, port, [{ send: request }, { until: END }], { endAfter: true });
        const [d, p] = env.fake.requests().slice(before);
        expect(d).toBeDefined();
        expect(p).toBeDefined();
        expect(p!.head.toString("latin1")).toBe(d!.head.toString("latin1"));
        expect(p!.body.toString("latin1")).toBe(d!.body.toString("latin1"));
        expect(d!.head.toString("latin1")).toBe(request.slice(0, request.indexOf("\r\n\r\n") + 4));
        expect(proxied.toString("latin1")).toBe(direct.toString("latin1"));
        expect(direct.toString("latin1")).toBe(RESPONSE);
      });
    }
  });
}

test("curl request bytes through the edge equal curl --resolve direct", async () => {
  const before = env.fake.requests().length;
  const args = ["-sS", "--raw", "-i", "-H", "anthropic-beta: a-1", "-H", "anthropic-beta: b-2", "-H", "X-CaSe: Mixed", "-H", "content-type: application/json", "https://api.anthropic.com/v1/messages", "-d", MSG_BODY];
  const direct = await env.run(["curl", "--cacert", env.certs.caPath, "--resolve", `api.anthropic.com:443:127.0.0.1`, "--connect-to", `api.anthropic.com:443:127.0.0.1:${env.fake.port}`, ...args]);
  const proxied = await env.run(["curl", "--suppress-connect-headers", "--cacert", env.ourCaPath, "-x", `http://127.0.0.1:${env.sb.ports.edge}`, ...args]);
  expect(direct.stderr).toBe("");
  expect(proxied.stderr).toBe("");
  const [d, p] = env.fake.requests().slice(before);
  expect(p!.head.toString("latin1")).toBe(d!.head.toString("latin1"));
  expect(p!.body.toString("latin1")).toBe(d!.body.toString("latin1"));
  expect(d!.head.toString("latin1")).toContain("anthropic-beta: a-1\r\nanthropic-beta: b-2\r\n");
  expect(proxied.stdout).toBe(direct.stdout);
  expect(direct.stdout).toBe(RESPONSE);
});
