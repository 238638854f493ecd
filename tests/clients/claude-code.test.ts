// The oracle: the real Claude Code CLI from npm, run with `-p ... --output-format json` through
// the edge and the daemon against a fake Anthropic endpoint. Claude Code reports the usage it
// read and the cost it computed itself; our stored rows must agree to the token, and our cost
// must be within 1% of its total_cost_usd.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type FakeConn, type FakeRequest, sseEvent } from "../harness/fake-provider.ts";
import { readLog } from "../harness/edge-process.ts";
import { repoRoot } from "../harness/sandbox.ts";
import { STARTUP_HOOK_MS } from "../harness/meter.ts";
import { type CaptureEnv, type Row, startCapture } from "../capture-e2e/_meter.ts";

const CLAUDE = join(repoRoot, "node_modules/.bin/claude");
// A model Claude Code and the bundled price data both price.
const MODEL = "claude-sonnet-4-5";
const RESPONSE_MODEL = "claude-sonnet-4-5-20250929";
const USAGE = { input_tokens: 1234, cache_read_input_tokens: 45_678, cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 3000 }, output_tokens: 321 };
const CACHE_WRITES = USAGE.cache_creation.ephemeral_5m_input_tokens + USAGE.cache_creation.ephemeral_1h_input_tokens;

function json(conn: FakeConn, status: string, body: unknown): void {
  const text = JSON.stringify(body);
  conn.write(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nrequest-id: req_fake\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

function chunk(s: string): string {
  return `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
}

/** /v1/messages as the API streams it: message_start with input usage, deltas, cumulative message_delta. */
function streamMessage(conn: FakeConn): void {
  const start = { input_tokens: USAGE.input_tokens, cache_creation_input_tokens: CACHE_WRITES, cache_read_input_tokens: USAGE.cache_read_input_tokens, cache_creation: USAGE.cache_creation, output_tokens: 1, service_tier: "standard" };
  conn.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\nrequest-id: req_fake\r\nTransfer-Encoding: chunked\r\n\r\n");
  conn.write(chunk(sseEvent("message_start", { type: "message_start", message: { id: "msg_01Fake", type: "message", role: "assistant", model: RESPONSE_MODEL, content: [], stop_reason: null, stop_sequence: null, usage: start } })));
  conn.write(chunk(sseEvent("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }) + sseEvent("ping", { type: "ping" })));
  conn.write(chunk(sseEvent("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hi" } })));
  conn.write(chunk(sseEvent("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: " there!" } })));
  conn.write(chunk(sseEvent("content_block_stop", { type: "content_block_stop", index: 0 })));
  const final = { input_tokens: USAGE.input_tokens, cache_creation_input_tokens: CACHE_WRITES, cache_read_input_tokens: USAGE.cache_read_input_tokens, output_tokens: USAGE.output_tokens };
  conn.write(chunk(sseEvent("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: final })));
  conn.write(chunk(sseEvent("message_stop", { type: "message_stop" })));
  conn.write("0\r\n\r\n");
}

const received: string[] = [];

function anthropicFake(req: FakeRequest, conn: FakeConn): void {
  received.push(`${req.method} ${req.path}`);
  const path = req.path.split("?")[0];
  if (req.method === "POST" && path === "/v1/messages") {
    const body = JSON.parse(req.body.toString("utf8") || "{}") as { stream?: boolean };
    if (body.stream) return streamMessage(conn);
    return json(conn, "200 OK", { id: "msg_01Fake", type: "message", role: "assistant", model: RESPONSE_MODEL, content: [{ type: "text", text: "Hi there!" }], stop_reason: "end_turn", stop_sequence: null, usage: { ...USAGE, cache_creation_input_tokens: CACHE_WRITES } });
  }
  if (req.method === "POST" && path === "/v1/messages/count_tokens") return json(conn, "200 OK", { input_tokens: USAGE.input_tokens });
  // Managed settings, policy limits and whatever else the CLI asks for: an account without any.
  json(conn, "404 Not Found", { type: "error", error: { type: "not_found_error", message: `Not found: ${path}` } });
}

let env: CaptureEnv;
beforeAll(async () => {
  env = await startCapture({ script: anthropicFake });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

interface ClaudeResult {
  is_error: boolean;
  result: string;
  total_cost_usd: number;
  usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number; cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number } };
}

test("Claude Code's own usage and cost match the rows stored for its calls", async () => {
  const cwd = join(env.sb.root, "cc-project");
  mkdirSync(cwd);
  const r = await env.run([CLAUDE, "-p", "say hi", "--output-format", "json", "--model", MODEL], {
    cwd,
    env: {
      HTTPS_PROXY: env.proxyUrl,
      HTTP_PROXY: env.proxyUrl,
      NODE_EXTRA_CA_CERTS: env.ourCaPath,
      ANTHROPIC_API_KEY: "sk-ant-api03-dummy-key-for-the-fake-provider-000000",
      // Nothing but the API calls the prompt needs: no telemetry, updates, error reports, surveys.
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_ERROR_REPORTING: "1",
    },
  });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const cc = JSON.parse(r.stdout) as ClaudeResult;
  expect(cc.is_error).toBe(false);
  expect(cc.result).toBe("Hi there!");

  const messages: Row[] = await import("../harness/sandbox.ts").then(({ waitFor }) =>
    waitFor(() => {
      const rows = env.rows();
      const calls = rows.filter((x) => x.endpoint === "messages");
      // Every request the fake answered has its row (the 404s included).
      return rows.length === received.length && calls.length > 0 ? calls : null;
    }, "a row for every request Claude Code made"),
  );
  const sum = (k: string) => messages.reduce((a, x) => a + Number(x[k]), 0);
  expect({
    input: sum("input_tokens"),
    output: sum("output_tokens"),
    cacheRead: sum("cache_read_tokens"),
    cacheWrite5m: sum("cache_write_5m_tokens"),
    cacheWrite1h: sum("cache_write_1h_tokens"),
  }).toEqual({
    input: cc.usage.input_tokens,
    output: cc.usage.output_tokens,
    cacheRead: cc.usage.cache_read_input_tokens,
    cacheWrite5m: cc.usage.cache_creation.ephemeral_5m_input_tokens,
    cacheWrite1h: cc.usage.cache_creation.ephemeral_1h_input_tokens,
  });
  expect(cc.usage.cache_creation_input_tokens).toBe(sum("cache_write_5m_tokens") + sum("cache_write_1h_tokens"));
  // The usage the fake sent, so the oracle is not agreeing with us about zeros.
  expect(cc.usage.output_tokens).toBe(USAGE.output_tokens);

  for (const x of messages) {
    expect({ model: x.model, client: x.client, stream: x.stream, complete: x.tokens_complete, price: x.price_status }).toEqual({ model: RESPONSE_MODEL, client: "claude-code", stream: 1, complete: 1, price: "priced" });
  }
  const ours = sum("cost_micros") / 1e6;
  expect(cc.total_cost_usd).toBeGreaterThan(0);
  expect(Math.abs(ours - cc.total_cost_usd) / cc.total_cost_usd).toBeLessThan(0.01);

  // Offline for real: everything went to the fake through the daemon, nothing was tunnelled out.
  const edge = readLog(join(env.sb.meterHome, "edge.log"));
  expect(edge.filter((l) => l.event === "edge.passthrough")).toEqual([]);
  expect([...new Set(edge.filter((l) => l.event === "edge.chained").map((l) => l.host))]).toEqual(["api.anthropic.com"]);
}, 60_000);
