// The running daemon takes up the data `pricing update` installs, without a restart: a row before
// it is unpriced (the bundled data knows no such model), rows after it are priced with it, and
// `pricing reprice` then prices the earlier one. Real daemon and edge (tests/harness/meter.ts),
// curl through the proxy, a fake OpenAI that reports cache reads and cache writes.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { FakeConn, FakeRequest } from "../harness/fake-provider.ts";
import { METER_SOURCE, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { type CaptureEnv, startCapture } from "../capture-e2e/_meter.ts";
import { BUNDLED } from "../../core/pricing/index.ts";
import { NEW_MODEL, newerData, writeData } from "./_data.ts";

/** Chat Completions JSON for the model the request's x-model header names: 1000 prompt tokens, 200 read from the cache, 300 written to it. */
function answer(req: FakeRequest, conn: FakeConn): void {
  const model = req.headers.find(([k]) => k.toLowerCase() === "x-model")?.[1] ?? NEW_MODEL;
  const body = JSON.stringify({
    id: "chatcmpl-pickup",
    object: "chat.completion",
    created: 1,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 1000, completion_tokens: 50, total_tokens: 1050, prompt_tokens_details: { cached_tokens: 200, cache_write_tokens: 300 } },
  });
  conn.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
}

// 500 × $20 + 50 × $80 + 200 × $2 (read) + 300 × $25 (write), per million tokens
const COST = 10_000 + 4_000 + 400 + 7_500;

let env: CaptureEnv;
beforeAll(async () => {
  env = await startCapture({ script: answer });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

async function ask(model: string) {
  const r = await env.run(["curl", "-sS", "--cacert", env.ourCaPath, "-x", env.proxyUrl, "-H", "content-type: application/json", "-H", `x-model: ${model}`, "https://api.openai.com/v1/chat/completions", "--data-binary", '{"model":"x","messages":[]}']);
  expect(r.code).toBe(0);
  return env.waitRow((row) => row.model === model, `row for ${model}`);
}

test("installed data is used by the running daemon from its next lookup; reprice prices what came before", async () => {
  const before = await ask(`${NEW_MODEL}-before`);
  expect(before).toMatchObject({ price_status: "unpriced", cost_micros: null, price_source: BUNDLED.source, input_tokens: 500, cache_read_tokens: 200, cache_write_5m_tokens: 300 });
  const pid = env.daemon.pid;

  const update = await env.run([...METER_SOURCE, "pricing", "update", "--from", writeData(join(env.sb.root, "data.json"), newerData())]);
  expect(update.code).toBe(0);
  const source = /installed (genai-prices@sha256:[0-9a-f]{8}\/\d{4}-\d{2}-\d{2})/.exec(update.stdout)![1]!;

  // The daemon looks at the file again at most once a second: ask until a row is priced (bounded).
  const deadline = Date.now() + 15_000;
  let after = await ask(`${NEW_MODEL}-after-0`);
  for (let i = 1; after.price_status !== "priced" && Date.now() < deadline; i++) after = await ask(`${NEW_MODEL}-after-${i}`);
  expect(after).toMatchObject({ price_status: "priced", cost_micros: COST, price_source: source });
  expect({ pid: env.daemon.pid, running: env.daemon.exitCode === null }).toEqual({ pid, running: true });
  expect(env.logEvents().filter((e) => e.event === "pricing.data").map((e) => e.source)).toEqual([BUNDLED.source, source]);

  const reprice = await env.run([...METER_SOURCE, "pricing", "reprice"]);
  expect(reprice.code).toBe(0);
  expect(reprice.stdout).toMatch(/repriced \([1-9]\d* had no price\)/);
  expect(env.rows((r) => r.model === `${NEW_MODEL}-before`)[0]).toMatchObject({ price_status: "priced", cost_micros: COST, price_source: source });
}, 60_000);
