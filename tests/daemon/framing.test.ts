// HTTP/1.1 framing end to end through the daemon: chunked both ways, Content-Length,
// Expect: 100-continue, 100 requests on one keep-alive connection, a WebSocket echo.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type FakeRequest, anthropicChunked, anthropicJson } from "../harness/fake-provider.ts";
import { type MeterEnv, startMeter, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { MSG_BODY } from "./_env.ts";
import { rawTls } from "./_rawtls.ts";

let env: MeterEnv;
const hdr = (r: FakeRequest, k: string) => r.headers.find(([n]) => n.toLowerCase() === k)?.[1];

beforeAll(async () => {
  env = await startMeter({
    prefix: "hm-daemon-",
    fake: {
      script: (req, c) => {
        if (hdr(req, "upgrade")) {
          c.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: fake\r\n\r\n`);
          c.echoRaw();
          return;
        }
        const seq = Number(hdr(req, "x-seq") ?? 0);
        c.write(hdr(req, "x-chunked") ? anthropicChunked({ input: 3000 + seq, output: 4000 + seq }) : anthropicJson({ input: 3000 + seq, output: 4000 + seq }));
      },
    },
  });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

const curl = (...a: string[]) => env.run(["curl", "-sS", "--suppress-connect-headers", "--cacert", env.ourCaPath, "-x", `http://127.0.0.1:${env.sb.ports.internal}`, ...a]);
const URL = "https://api.anthropic.com/v1/messages";

test("chunked request and chunked response", async () => {
  const r = await curl("--raw", "-i", "-H", "Transfer-Encoding: chunked", "-H", "x-chunked: 1", "-H", "x-seq: 1", URL, "-d", MSG_BODY);
  expect(r.stderr).toBe("");
  expect(r.stdout).toContain("Transfer-Encoding: chunked\r\n");
  expect(r.stdout.endsWith("\r\n0\r\n\r\n")).toBe(true);
  const req = env.fake.requests().at(-1)!;
  expect(hdr(req, "transfer-encoding")).toBe("chunked");
  expect(req.body.toString()).toContain(MSG_BODY);
  const [row] = await env.waitRows(1, (x) => x.input_tokens === 3001);
  expect(row?.output_tokens).toBe(4001);
});

test("Content-Length request and response", async () => {
  const r = await curl("-H", "x-seq: 2", URL, "-d", MSG_BODY);
  expect(JSON.parse(r.stdout).usage.input_tokens).toBe(3002);
  expect(hdr(env.fake.requests().at(-1)!, "content-length")).toBe(String(MSG_BODY.length));
});

test("Expect: 100-continue with a 2 MiB body: the interim 100 reaches the client, then the answer", async () => {
  const big = join(env.sb.root, "big.json");
  writeFileSync(big, JSON.stringify({ model: "x", pad: "a".repeat(2 * 1024 * 1024) }));
  const r = await curl("-i", "-H", "Expect: 100-continue", "-H", "x-seq: 3", URL, "--data-binary", `@${big}`);
  expect(r.stderr).toBe("");
  expect(r.stdout.startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")).toBe(true);
  const req = env.fake.requests().at(-1)!;
  expect(hdr(req, "expect")).toBe("100-continue");
  expect(req.body.length).toBe(Bun.file(big).size);
  expect(r.stdout).toContain('"input_tokens":3003');
});

test("100 requests on one keep-alive client connection: all answered, 100 rows", async () => {
  const urls = Array.from({ length: 100 }, () => ["-o", "/dev/null", URL]).flat();
  const r = await curl("-H", "x-seq: 500", "-w", "%{http_code} %{num_connects}\n", "-d", MSG_BODY, ...urls);
  expect(r.stderr).toBe("");
  const lines = r.stdout.trim().split("\n");
  expect(lines.length).toBe(100);
  expect(lines.every((l) => l.startsWith("200 "))).toBe(true);
  // curl reports one new connection for the first transfer, then reuse.
  expect(lines.map((l) => Number(l.split(" ")[1])).reduce((a, b) => a + b, 0)).toBe(1);
  // Rows are committed in batches: count this test's own rows, not the table (the previous
  // tests' rows may still be on their way).
  await env.waitRows(100, (x) => x.input_tokens === 3500);
  // One request more, after them: rows are written in order, so once its row is in, a duplicate
  // of any of the hundred would be too.
  expect((await curl("-o", "/dev/null", "-w", "%{http_code}", "-H", "x-seq: 501", "-d", MSG_BODY, URL)).stdout).toBe("200");
  await env.waitRow((x) => x.input_tokens === 3501, "the row of the request after them");
  expect(env.rows((x) => x.input_tokens === 3500).length).toBe(100);
});

test("WebSocket: upgrade, 101, frames echoed through the daemon", async () => {
  const upgrade = "GET /v1/realtime HTTP/1.1\r\nHost: api.openai.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  // A masked text frame "hello-ws" (mask 0,0,0,0 keeps it readable), then a second one.
  const frame = (t: string) => String.fromCharCode(0x81, 0x80 | t.length, 0, 0, 0, 0) + t;
  const got = await rawTls(env, env.sb.ports.internal, [{ send: upgrade }, { until: "\r\n\r\n" }, { send: frame("hello-ws") }, { until: "hello-ws" }, { send: frame("again-ws") }, { until: "again-ws" }], { endAfter: true });
  const s = got.toString("latin1");
  expect(s.startsWith("HTTP/1.1 101 Switching Protocols\r\n")).toBe(true);
  expect(s.endsWith(`\r\n\r\n${frame("hello-ws")}${frame("again-ws")}`)).toBe(true);
});
