// Debian's python3-requests through the edge, configured the way users configure it: HTTPS_PROXY
// and REQUESTS_CA_BUNDLE in the environment. Streamed (iter_lines over SSE) and not; each call
// must leave a row with exactly the tokens the fake provider sent.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { STARTUP_HOOK_MS } from "../harness/meter.ts";
import { type CaptureEnv, rowTokens, startCapture } from "../capture-e2e/_meter.ts";
import { fixtureCase, serveFixtures } from "../capture-e2e/_serve.ts";

// Prints the usage requests' caller saw: the JSON body's, or the last SSE event carrying one.
const SCRIPT = `
import json, sys, requests
url, fixture, body, stream = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "stream"
r = requests.post(url, data=body, headers={"content-type": "application/json", "x-fixture": fixture}, stream=stream, timeout=30)
r.raise_for_status()
if not stream:
    print(json.dumps(r.json()["usage"]))
    sys.exit(0)
usage = None
for line in r.iter_lines(decode_unicode=True):
    if line.startswith("data: ") and line != "data: [DONE]":
        event = json.loads(line[6:])
        usage = event.get("usage") or (event.get("message") or {}).get("usage") or usage
print(json.dumps(usage))
`;

const CASES = [
  { fixture: "anthropic-message.json", url: "https://api.anthropic.com/v1/messages", mode: "json" },
  { fixture: "anthropic-stream.sse", url: "https://api.anthropic.com/v1/messages", mode: "stream" },
  { fixture: "openai-chat.json", url: "https://api.openai.com/v1/chat/completions", mode: "json" },
  { fixture: "openai-chat-stream.sse", url: "https://api.openai.com/v1/chat/completions", mode: "stream" },
] as const;

let env: CaptureEnv;
beforeAll(async () => {
  env = await startCapture({ script: serveFixtures });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

describe("python3-requests through the edge", () => {
  for (const c of CASES) {
    test(`${c.fixture} (${c.mode})`, async () => {
      const fx = fixtureCase(c.fixture);
      const seen = new Set(env.rows().map((r) => r.id));
      const r = await env.run(["/usr/bin/python3", "-c", SCRIPT, c.url, c.fixture, JSON.stringify(fx.requestBody), c.mode], {
        env: { HTTPS_PROXY: env.proxyUrl, REQUESTS_CA_BUNDLE: env.ourCaPath },
      });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const seenByClient = JSON.parse(r.stdout) as Record<string, number>;
      const row = await env.waitRow((x) => !seen.has(x.id) && x.model === fx.expected.model, `row for ${c.fixture}`);
      expect(rowTokens(row)).toEqual(fx.expected.tokens);
      expect({ client: row.client, stream: row.stream, complete: row.tokens_complete }).toEqual({ client: "python-requests", stream: c.mode === "stream" ? 1 : 0, complete: 1 });
      // The usage the client read is the one we stored, for every count it carries.
      const t = rowTokens(row);
      const pairs: Array<[number | undefined, unknown]> = [
        [seenByClient.output_tokens ?? seenByClient.completion_tokens, t.output],
        [seenByClient.input_tokens, t.input],
        [seenByClient.cache_read_input_tokens, t.cacheRead],
        [seenByClient.prompt_tokens, Number(t.input) + Number(t.cacheRead)],
      ];
      const present = pairs.filter(([client]) => client !== undefined);
      expect(present.length).toBeGreaterThan(0);
      for (const [client, stored] of present) expect(client).toBe(stored as number);
    });
  }
});
