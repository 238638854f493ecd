// The oracle: the real Codex CLI from npm (`codex exec --json`), run with the environment
// `halton-meter run` gives it, through the edge and the daemon to a fake of the Responses API on
// the real host names (api.openai.com for an API key, chatgpt.com for a ChatGPT login). Codex
// reports the usage it read in `turn.completed`; the rows stored for its responses must agree to
// the token, over both of its transports: a WebSocket (`GET .../responses` upgraded, a
// `response.create` message per response, Codex's default) and SSE (`POST .../responses`, forced
// here with a provider of our own that says `supports_websockets = false`, since the built-in
// provider's flag cannot be overridden).

import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type FakeResponses, responsesUsage, startFakeResponses } from "../harness/fake-responses.ts";
import { STARTUP_HOOK_MS, type Row } from "../harness/meter.ts";
import { repoRoot, waitFor } from "../harness/sandbox.ts";
import { type CliMeter, startCliMeter } from "./_cli-meter.ts";

const CODEX = join(repoRoot, "node_modules/.bin/codex");
// In Codex's bundled model catalog, and priced by the bundled price data.
const MODEL = "gpt-5.5";
const USAGE = { input: 5432, cached: 3200, output: 321, reasoning: 123 };
const API_KEY = "sk-proj-dummy-key-for-the-fake-provider-0000000000";
const ACCOUNT = "acct-fake-0001";

type Auth = "api-key" | "chatgpt";
type Transport = "websocket" | "sse";

/** Codex's base URL per login, the same as its built-in provider's. */
const BASE_URL: Record<Auth, string> = { "api-key": "https://api.openai.com/v1", chatgpt: "https://chatgpt.com/backend-api/codex" };
const RESPONSES_PATH: Record<Auth, string> = { "api-key": "/v1/responses", chatgpt: "/backend-api/codex/responses" };
const HOST: Record<Auth, string> = { "api-key": "api.openai.com", chatgpt: "chatgpt.com" };

let m: CliMeter;
let fake: FakeResponses;
beforeAll(async () => {
  m = await startCliMeter("hm-codex-", async (certs) => {
    fake = startFakeResponses({ cert: certs.cert, key: certs.key, usage: responsesUsage(USAGE), accountId: ACCOUNT });
    return { resolve: { "api.openai.com": fake.port, "chatgpt.com": fake.port }, stop: () => fake.stop() };
  });
}, STARTUP_HOOK_MS);
afterAll(() => m?.stop());

/** An unsigned JWT: Codex reads the claims of its ChatGPT tokens but cannot check a signature. */
function jwt(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.${Buffer.from("fake-signature").toString("base64url")}`;
}

/**
 * What `codex login` leaves for a ChatGPT Plus account. Codex refreshes the tokens against
 * auth.openai.com when the access token's `exp` has passed (else when `last_refresh` is over 8
 * days old) or after a 401: a far-future `exp` and a fresh `last_refresh` keep it offline.
 */
function chatgptAuthJson(): string {
  const exp = Math.floor(Date.now() / 1000) + 10 * 365 * 86_400;
  const auth = { "https://api.openai.com/auth": { chatgpt_plan_type: "plus", chatgpt_user_id: "user-fake", chatgpt_account_id: ACCOUNT } };
  const tokens = {
    id_token: jwt({ email: "dev@example.com", exp, ...auth }),
    access_token: jwt({ exp, ...auth, "https://api.openai.com/profile": { email: "dev@example.com" } }),
    refresh_token: "rt_fake_never_used",
    account_id: ACCOUNT,
  };
  return JSON.stringify({ auth_mode: "chatgpt", OPENAI_API_KEY: null, tokens, last_refresh: new Date().toISOString() }, null, 2);
}

interface TurnUsage {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
}

interface CodexRun {
  code: number;
  stderr: string;
  events: Record<string, unknown>[];
  usage: TurnUsage;
  text: string[];
  authAfter: string;
}

async function runCodex(auth: Auth, transport: Transport): Promise<CodexRun> {
  const home = m.dir(`home-${auth}-${transport}`);
  const codexHome = m.dir(`home-${auth}-${transport}/.codex`);
  const cwd = m.dir(`project-${auth}-${transport}`);
  const authJson = auth === "chatgpt" ? chatgptAuthJson() : JSON.stringify({ auth_mode: "apikey", OPENAI_API_KEY: API_KEY }, null, 2);
  writeFileSync(join(codexHome, "auth.json"), authJson, { mode: 0o600 });
  const sse = ["-c", 'model_provider="metered_sse"', "-c", `model_providers.metered_sse={name="OpenAI",base_url="${BASE_URL[auth]}",wire_api="responses",requires_openai_auth=true,supports_websockets=false}`];
  const argv = [
    CODEX,
    "exec",
    "--json",
    "--skip-git-repo-check",
    "-m",
    MODEL,
    // auth.json only, never the keyring; no OTLP metrics to ab.chatgpt.com, no plugin catalog
    // from github.com and chatgpt.com, no apps (connectors) MCP server.
    "-c",
    'cli_auth_credentials_store="file"',
    "-c",
    "analytics.enabled=false",
    "--disable",
    "plugins",
    "--disable",
    "apps",
    ...(transport === "sse" ? sse : []),
    "say hi",
  ];
  const r = await m.env.run(argv, { cwd, env: { ...m.runEnv, HOME: home, CODEX_HOME: codexHome, TMPDIR: m.dir("tmp") } });
  const events = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const completed = events.find((e) => e.type === "turn.completed") as { usage: TurnUsage } | undefined;
  const text = events.filter((e) => e.type === "item.completed").map((e) => String((e.item as { text?: string }).text));
  return { code: r.code, stderr: r.stderr, events, usage: completed?.usage as TurnUsage, text, authAfter: readFileSync(join(codexHome, "auth.json"), "utf8") };
}

const lastRowId = (): number => Number(m.env.rows().at(-1)?.id ?? 0);

/** Runs one case and checks everything but the stored rows, which it returns once they are all in. */
async function meteredRun(auth: Auth, transport: Transport): Promise<{ run: CodexRun; rows: Row[]; responses: Row[]; httpRequests: number }> {
  const mark = lastRowId();
  const seen = { requests: fake.requests.length, sockets: fake.sockets.length, answered: fake.answered };
  const run = await runCodex(auth, transport);
  expect({ code: run.code, failed: run.events.filter((e) => e.type === "turn.failed" || e.type === "error") }).toEqual({ code: 0, failed: [] });
  expect(run.text).toEqual(["Hi there!"]);
  // The oracle read exactly what the fake sent.
  expect(run.usage).toMatchObject({ input_tokens: USAGE.input, cached_input_tokens: USAGE.cached, output_tokens: USAGE.output, reasoning_output_tokens: USAGE.reasoning });

  const requests = fake.requests.slice(seen.requests);
  const sockets = fake.sockets.slice(seen.sockets);
  const posts = requests.filter((r) => r.method === "POST" && r.path === RESPONSES_PATH[auth]);
  const answered = fake.answered - seen.answered;
  if (transport === "websocket") {
    // One socket; a warm-up `response.create` (`generate: false`), then the turn's.
    expect(posts).toEqual([]);
    expect(sockets.map((s) => ({ host: s.host, path: s.path, beta: s.headers["openai-beta"], deflate: s.headers["sec-websocket-extensions"]?.startsWith("permessage-deflate") }))).toEqual([
      { host: HOST[auth], path: RESPONSES_PATH[auth], beta: "responses_websockets=2026-02-06", deflate: true },
    ]);
    expect(sockets[0]!.messages.map((x) => [x.type, x.generate ?? true])).toEqual([
      ["response.create", false],
      ["response.create", true],
    ]);
  } else {
    expect(sockets).toEqual([]);
    // With a ChatGPT login Codex compresses the request body (the `enable_request_compression` feature).
    expect(posts.map((p) => [p.headers.accept, p.headers["content-encoding"] ?? null])).toEqual([["text/event-stream", auth === "chatgpt" ? "zstd" : null]]);
  }
  const turnHeaders = transport === "websocket" ? sockets[0]!.headers : posts[0]!.headers;
  expect({ originator: turnHeaders.originator, ua: /^codex_exec\/0\.169\.0 /.test(turnHeaders["user-agent"] ?? "") }).toEqual({ originator: "codex_exec", ua: true });
  if (auth === "chatgpt") {
    expect(turnHeaders["chatgpt-account-id"]).toBe(ACCOUNT);
    // Never refreshed: the tokens on disk are the ones written.
    expect(JSON.parse(run.authAfter).tokens.refresh_token).toBe("rt_fake_never_used");
  } else {
    expect(turnHeaders.authorization).toBe(`Bearer ${API_KEY}`);
  }

  // Offline for real: everything went to the fake through the daemon, nothing was tunnelled out.
  const hosts = m.edgeHosts();
  expect(hosts.passthrough).toEqual([]);
  expect(hosts.chained.every((h) => h === "api.openai.com" || h === "chatgpt.com")).toBe(true);

  const responses = await waitFor(() => {
    const got = m.env.rows((r) => Number(r.id) > mark && r.endpoint === "responses");
    return got.length >= answered ? got : null;
  }, `a row for each of the ${answered} responses Codex asked for over ${transport}`);
  // Every HTTP request the fake answered has its row too (model lists, workspace routing: 404s and all).
  const rows = await waitFor(() => {
    const got = m.env.rows((r) => Number(r.id) > mark);
    return got.length >= requests.length + (transport === "websocket" ? answered : 0) ? got : null;
  }, "a row for every request Codex made");
  return { run, rows, responses, httpRequests: requests.length };
}

function expectRowsMatch(run: CodexRun, responses: Row[], provider: string): void {
  const sum = (k: string) => responses.reduce((a, x) => a + Number(x[k]), 0);
  // Stored input is the uncached part; Codex's input_tokens includes the cached reads.
  expect({
    input: sum("input_tokens") + sum("cache_read_tokens"),
    cached: sum("cache_read_tokens"),
    output: sum("output_tokens"),
    reasoning: sum("reasoning_tokens"),
  }).toEqual({ input: run.usage.input_tokens, cached: run.usage.cached_input_tokens, output: run.usage.output_tokens, reasoning: run.usage.reasoning_output_tokens });
  for (const x of responses) {
    expect({ provider: x.provider, model: x.model, client: x.client, stream: x.stream, complete: x.tokens_complete, price: x.price_status }).toEqual({
      provider,
      model: MODEL,
      client: "codex",
      stream: 1,
      complete: 1,
      price: "priced",
    });
  }
}

// Over the WebSocket each `response.create` is a row of its own (method WS), the warm-up included.
test("Codex with an API key over its WebSocket transport: rows match turn.completed", async () => {
  const { run, responses } = await meteredRun("api-key", "websocket");
  expect(responses.map((x) => [x.method, x.path, x.status])).toEqual([
    ["WS", "/v1/responses", 200],
    ["WS", "/v1/responses", 200],
  ]);
  expectRowsMatch(run, responses, "openai");
}, 45_000);

test("Codex with an API key over SSE: rows match turn.completed", async () => {
  const { run, rows, responses, httpRequests } = await meteredRun("api-key", "sse");
  expect(rows.length).toBe(httpRequests);
  expectRowsMatch(run, responses, "openai");
}, 45_000);

test("Codex with a ChatGPT login over its WebSocket transport: rows match turn.completed", async () => {
  const { run, responses } = await meteredRun("chatgpt", "websocket");
  expectRowsMatch(run, responses, "chatgpt");
  // chatgpt.com's `codex.rate_limits` message ahead of each response is kept with it.
  for (const x of responses) {
    expect(JSON.parse(String(x.rate_limits))).toMatchObject({ type: "codex.rate_limits", plan_type: "plus", rate_limits: { primary: { used_percent: 12, window_minutes: 300 }, secondary: { used_percent: 3, window_minutes: 10080 } } });
  }
}, 45_000);

test("Codex with a ChatGPT login over SSE (zstd request body): rows match turn.completed", async () => {
  const { run, rows, responses, httpRequests } = await meteredRun("chatgpt", "sse");
  expect(rows.length).toBe(httpRequests);
  expectRowsMatch(run, responses, "chatgpt");
}, 45_000);
