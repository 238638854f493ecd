// The oracle: the real Gemini CLI from npm (`gemini -p ... --output-format json`), run with the
// environment `halton-meter run` gives it, through the edge and the daemon to a fake Gemini on
// the real host names: generativelanguage.googleapis.com with an API key, cloudcode-pa (Code
// Assist) with a Google login. The CLI reports the tokens it read per model in its JSON stats;
// the rows stored for its calls must agree to the token.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { issueLeaf } from "../harness/certs.ts";
import { type FakeGemini, geminiUsage, startFakeGemini } from "../harness/fake-gemini.ts";
import { type FakeGoogleAccounts, GOOGLE_ACCOUNT_HOSTS, startFakeGoogleAccounts } from "../harness/fake-google-accounts.ts";
import { STARTUP_HOOK_MS, type Row } from "../harness/meter.ts";
import { repoRoot, waitFor } from "../harness/sandbox.ts";
import { type CliMeter, startCliMeter } from "./_cli-meter.ts";

const GEMINI = join(repoRoot, "node_modules/.bin/gemini");
// Named with -m: the default ("auto") would first ask a router model which one to use.
const MODEL = "gemini-2.5-pro";
const USAGE = { prompt: 6543, cached: 4096, candidates: 87, thoughts: 345 };
const EMAIL = "dev@example.com";

type Auth = "api-key" | "google";

let m: CliMeter;
let gemini: FakeGemini;
let accounts: FakeGoogleAccounts;
let testCaPem = "";
beforeAll(async () => {
  m = await startCliMeter("hm-gemini-", async (certs) => {
    testCaPem = certs.caPem;
    gemini = startFakeGemini({ cert: certs.cert, key: certs.key, usage: geminiUsage(USAGE), modelVersion: MODEL });
    accounts = startFakeGoogleAccounts({ ...(await issueLeaf(certs, "google-accounts", GOOGLE_ACCOUNT_HOSTS)), email: EMAIL });
    const resolve: Record<string, number> = { "generativelanguage.googleapis.com": gemini.port, "cloudcode-pa.googleapis.com": gemini.port };
    for (const h of GOOGLE_ACCOUNT_HOSTS) resolve[h] = accounts.port;
    return {
      resolve,
      stop: () => {
        gemini.stop();
        accounts.stop();
      },
    };
  });
}, STARTUP_HOOK_MS);
afterAll(() => m?.stop());

/**
 * ~/.gemini as a login leaves it: the auth type, and no usage statistics (Clearcut logging to
 * play.googleapis.com), telemetry or update checks. A Google login also leaves its OAuth tokens
 * (an `expiry_date` far ahead keeps google-auth-library from refreshing them) and the account it
 * cached (so the CLI does not read userinfo again).
 */
function geminiHome(auth: Auth): { home: string; creds: string } {
  const home = m.dir(`home-${auth}`);
  const dot = m.dir(`home-${auth}/.gemini`);
  const settings = {
    security: { auth: { selectedType: auth === "google" ? "oauth-personal" : "gemini-api-key" } },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
  };
  writeFileSync(join(dot, "settings.json"), JSON.stringify(settings, null, 2));
  const creds = join(dot, "oauth_creds.json");
  if (auth === "google") {
    const tokens = {
      access_token: "ya29.a0AfakeAccessTokenForTheFakeCodeAssist0000000000",
      refresh_token: "1//0fakeRefreshTokenNeverUsed",
      scope: "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile openid",
      token_type: "Bearer",
      expiry_date: Date.now() + 10 * 365 * 86_400_000,
    };
    writeFileSync(creds, JSON.stringify(tokens, null, 2), { mode: 0o600 });
    writeFileSync(join(dot, "google_accounts.json"), JSON.stringify({ active: EMAIL, old: [] }, null, 2));
  }
  return { home, creds };
}

interface ModelTokens {
  input: number;
  prompt: number;
  candidates: number;
  total: number;
  cached: number;
  thoughts: number;
  tool: number;
}

interface GeminiJson {
  response: string;
  stats: { models: Record<string, { api: { totalRequests: number; totalErrors: number }; tokens: ModelTokens }> };
}

async function meteredRun(auth: Auth): Promise<{ out: GeminiJson; calls: Row[]; rows: Row[]; requests: number }> {
  const { home, creds } = geminiHome(auth);
  const before = auth === "google" ? readFileSync(creds, "utf8") : "";
  const mark = Number(m.env.rows().at(-1)?.id ?? 0);
  const seen = { requests: gemini.requests.length, accounts: accounts.requests.length };
  const env: Record<string, string> = { ...m.runEnv, HOME: home, TMPDIR: m.dir("tmp") };
  if (auth === "api-key") env.GEMINI_API_KEY = "AIzaSyDummyKeyForTheFakeProvider000000";
  else {
    // Only for the stand-in of Google's OAuth endpoints, which the edge tunnels raw: the CLI
    // must also trust the test CA that issued its certificate (run's NODE_EXTRA_CA_CERTS is our CA alone).
    const both = join(m.env.sb.root, "meter-and-test-ca.pem");
    writeFileSync(both, `${m.env.ourCaPem.trim()}\n${testCaPem.trim()}\n`);
    env.NODE_EXTRA_CA_CERTS = both;
  }
  const r = await m.env.run([GEMINI, "-p", "say hi", "--output-format", "json", "-m", MODEL, "--skip-trust"], { cwd: m.dir(`project-${auth}`), env });
  // Its stderr always has notices (no 256 colours, no ripgrep): shown only when it failed.
  expect({ code: r.code, stderr: r.code === 0 ? "" : r.stderr.slice(-2000) }).toEqual({ code: 0, stderr: "" });
  const out = JSON.parse(r.stdout) as GeminiJson;
  expect(out.response).toBe("Hi there!");

  const requests = gemini.requests.slice(seen.requests);
  const host = auth === "google" ? "cloudcode-pa.googleapis.com" : "generativelanguage.googleapis.com";
  const path = auth === "google" ? "/v1internal:streamGenerateContent?alt=sse" : `/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`;
  const streams = requests.filter((x) => x.method === "POST" && x.path === path);
  expect(streams.map((x) => x.host)).toEqual([host]);
  expect(streams[0]!.headers["user-agent"]).toStartWith(`GeminiCLI-tui/0.61.0/${MODEL} (`);
  const hosts = m.edgeHosts();
  if (auth === "google") {
    // Code Assist first finds the user's tier and project, then the turn names that project.
    expect(requests[0]!.path).toBe("/v1internal:loadCodeAssist");
    expect(JSON.parse(streams[0]!.body)).toMatchObject({ model: MODEL, project: "fake-project-4242", request: { contents: [{ role: "user" }] } });
    expect(streams[0]!.headers.authorization).toBe("Bearer ya29.a0AfakeAccessTokenForTheFakeCodeAssist0000000000");
    // Its one call outside the metered hosts: tokeninfo, tunnelled raw. No refresh, tokens untouched.
    expect(accounts.requests.slice(seen.accounts)).toEqual([{ method: "POST", host: "oauth2.googleapis.com", path: "/tokeninfo" }]);
    expect(readFileSync(creds, "utf8")).toBe(before);
    expect(hosts.passthrough).toEqual(["oauth2.googleapis.com"]);
  } else {
    expect(streams[0]!.headers["x-goog-api-key"]).toBe("AIzaSyDummyKeyForTheFakeProvider000000");
    expect(accounts.requests.slice(seen.accounts)).toEqual([]);
    expect(hosts.passthrough).toEqual([]);
  }

  // Every request the fake answered has its row (the Code Assist handshake included).
  const rows = await waitFor(() => {
    const got = m.env.rows((x) => Number(x.id) > mark);
    return got.length >= requests.length ? got : null;
  }, `a row for each of the ${requests.length} requests the Gemini CLI made`);
  const calls = rows.filter((x) => x.endpoint === "streamGenerateContent");
  return { out, calls, rows, requests: requests.length };
}

function expectRowsMatch(out: GeminiJson, calls: Row[], provider: string): void {
  // One model, one call: what the stats count is what the fake sent.
  expect(Object.keys(out.stats.models)).toEqual([MODEL]);
  const stats = out.stats.models[MODEL]!;
  expect(stats.api).toMatchObject({ totalRequests: 1, totalErrors: 0 });
  expect(stats.tokens).toEqual({
    input: USAGE.prompt - USAGE.cached,
    prompt: USAGE.prompt,
    candidates: USAGE.candidates,
    total: USAGE.prompt + USAGE.candidates + USAGE.thoughts,
    cached: USAGE.cached,
    thoughts: USAGE.thoughts,
    tool: 0,
  });
  expect(calls.length).toBe(stats.api.totalRequests);
  const sum = (k: string) => calls.reduce((a, x) => a + Number(x[k]), 0);
  // Stored input is the uncached part (the CLI's `input`); output counts the thoughts, billed as output.
  expect({ input: sum("input_tokens"), cached: sum("cache_read_tokens"), output: sum("output_tokens"), reasoning: sum("reasoning_tokens") }).toEqual({
    input: stats.tokens.input,
    cached: stats.tokens.cached,
    output: stats.tokens.candidates + stats.tokens.thoughts,
    reasoning: stats.tokens.thoughts,
  });
  for (const x of calls) {
    expect({ provider: x.provider, model: x.model, client: x.client, stream: x.stream, complete: x.tokens_complete, price: x.price_status }).toEqual({
      provider,
      model: MODEL,
      client: "gemini-cli",
      stream: 1,
      complete: 1,
      price: "priced",
    });
  }
}

test("Gemini CLI with an API key (generativelanguage): rows match its stats", async () => {
  const { out, calls, rows, requests } = await meteredRun("api-key");
  expect(rows.length).toBe(requests);
  expectRowsMatch(out, calls, "google");
}, 45_000);

test("Gemini CLI with a Google login (Code Assist on cloudcode-pa): rows match its stats", async () => {
  const { out, calls, rows, requests } = await meteredRun("google");
  expect(rows.length).toBe(requests);
  expectRowsMatch(out, calls, "google-cloudcode");
}, 45_000);
