// End to end through the edge and the daemon, for every metered host: one JSON and one streamed
// exchange each, the fake provider answering with the recorded wire format. curl is the client;
// each stored row must carry the provider, endpoint, model, tokens and cost the fixture implies,
// with the client and project attributed.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FakeConn, FakeRequest } from "../harness/fake-provider.ts";
import type { FixtureCase } from "../providers/fixtures/cases.ts";
import { STARTUP_HOOK_MS } from "../harness/meter.ts";
import { type CaptureEnv, type Row, rowTokens, startCapture } from "./_meter.ts";
import { fixtureCase, serveFixtures } from "./_serve.ts";

interface Exchange {
  host: string;
  target: string;
  fixture: FixtureCase;
  requestBody: unknown;
  expect: { provider: string; endpoint: string; model: string; stream: boolean; costMicros: number };
}

/** One JSON and one streamed exchange per host. Costs: integer micro-dollars at the bundled prices. */
function exchanges(): Exchange[] {
  const from = (file: string, costMicros: number, over: Partial<Pick<Exchange, "host" | "target" | "requestBody">> & { provider?: string } = {}): Exchange => {
    const c = fixtureCase(file);
    return {
      host: over.host ?? c.host,
      target: over.target ?? c.target,
      fixture: c,
      requestBody: over.requestBody ?? c.requestBody,
      expect: { provider: over.provider ?? c.expected.provider, endpoint: c.expected.endpoint, model: c.expected.model!, stream: c.expected.stream, costMicros },
    };
  };
  return [
    // 2095 × $3 + 503 × $15 + 14876 × $0.30 + 51 × $3.75 + 2000 × $6 (1 h writes), per million
    from("anthropic-message.json", 30484),
    from("anthropic-stream.sse", 98216),
    from("openai-chat.json", 4106),
    from("openai-chat-stream.sse", 2226),
    // Codex always streams; a JSON Responses body on its endpoint still goes through the same reader.
    from("openai-responses.json", 13211, { host: "chatgpt.com", target: "/backend-api/codex/responses", provider: "chatgpt", requestBody: { model: "gpt-5", input: "hi", stream: false } }),
    from("codex-responses.sse", 8463),
    from("gemini-generate.json", 1841),
    from("gemini-stream.sse", 2694),
    from("cloudcode-generate.json", 740),
    from("cloudcode-stream.sse", 4545),
    from("xai-chat.json", 170),
    from("xai-chat-stream.sse", 6735),
  ];
}

/** OpenAI-format answers for models the bundled data does not know. */
function inlineChat(conn: FakeConn, model: string): void {
  const body = JSON.stringify({
    id: "chatcmpl-inline",
    object: "chat.completion",
    created: 1,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500 },
  });
  conn.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
}

let env: CaptureEnv;

beforeAll(async () => {
  env = await startCapture({
    script: (req: FakeRequest, conn: FakeConn) => {
      const inline = req.headers.find(([k]) => k.toLowerCase() === "x-inline-model")?.[1];
      return inline ? inlineChat(conn, inline) : serveFixtures(req, conn);
    },
    toml: '[pricing.overrides."acme-tuned"]\ninput = 1.0\noutput = 2.0\n',
  });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

async function curl(host: string, target: string, body: unknown, headers: string[]): Promise<string> {
  const argv = ["curl", "-sS", "--cacert", env.ourCaPath, "-x", env.proxyUrl, "-H", "content-type: application/json"];
  for (const h of headers) argv.push("-H", h);
  argv.push(`https://${host}${target}`, "--data-binary", JSON.stringify(body ?? {}));
  const r = await env.run(argv, { env: { HALTON_PROJECT: "six-hosts" } });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}

function rowFor(x: Exchange): Promise<Row> {
  return env.waitRow((r) => r.host === x.host && r.path === x.target.split("?")[0] && r.model === x.expect.model, `row for ${x.fixture.file}`);
}

describe("six provider hosts through edge and daemon", () => {
  for (const x of exchanges()) {
    test(`${x.host}: ${x.fixture.file}`, async () => {
      const got = await curl(x.host, x.target, x.requestBody, [`x-fixture: ${x.fixture.file}`]);
      // The client gets the provider's bytes untouched.
      expect(got).toBe(readFileSync(join(import.meta.dir, "..", "providers", "fixtures", x.fixture.file), "utf8"));
      const row = await rowFor(x);
      expect({ provider: row.provider, endpoint: row.endpoint, model: row.model, stream: row.stream === 1 }).toEqual({
        provider: x.expect.provider,
        endpoint: x.expect.endpoint,
        model: x.expect.model,
        stream: x.expect.stream,
      });
      expect(rowTokens(row)).toEqual(x.fixture.expected.tokens);
      expect(row.tokens_complete).toBe(1);
      expect(row.status).toBe(200);
      expect({ status: row.price_status, cost: row.cost_micros, source: row.price_source }).toEqual({ status: "priced", cost: x.expect.costMicros, source: expect.stringMatching(/^genai-prices@/) });
      expect({ client: row.client, project: row.project, source: row.project_source }).toEqual({ client: "curl", project: "six-hosts", source: "env" });
      expect(row.pid).toBeNumber();
    });
  }

  test("a model nobody prices is stored unpriced, never $0; a [pricing] override prices another", async () => {
    const body = { model: "x", messages: [{ role: "user", content: "hi" }] };
    await curl("api.openai.com", "/v1/chat/completions", body, ["x-inline-model: acme-internal-llm"]);
    await curl("api.openai.com", "/v1/chat/completions", body, ["x-inline-model: acme-tuned"]);
    const unknown = await env.waitRow((r) => r.model === "acme-internal-llm", "unpriced row");
    expect({ status: unknown.price_status, cost: unknown.cost_micros, input: unknown.input_tokens, output: unknown.output_tokens }).toEqual({ status: "unpriced", cost: null, input: 1200, output: 300 });
    expect(String(unknown.note)).toContain("no price known");
    const tuned = await env.waitRow((r) => r.model === "acme-tuned", "override row");
    // 1200 × $1 + 300 × $2 per million = $0.0018
    expect({ status: tuned.price_status, cost: tuned.cost_micros, source: tuned.price_source }).toEqual({ status: "priced", cost: 1800, source: "config" });
  });
});
