// Limits end to end: a fake Anthropic reports a moving 5-hour utilization on a Claude
// subscription (its `anthropic-ratelimit-unified-*` headers) across a sequence of requests from
// two accounts; the daemon keeps each window per account, and `limits --json`, `limits` and
// /v1/limits read them back, the CLI also with the daemon down. A daily budget and a window alert
// are crossed: the daemon logs each once and shows it on the desktop through notify-send (a
// recording stand-in on PATH), once across a restart too.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { anthropicJson, type FakeConn, type FakeRequest } from "../harness/fake-provider.ts";
import { PROVIDER_HOSTS } from "../harness/fake-provider.ts";
import { BUN, repoRoot, waitFor } from "../harness/sandbox.ts";
import { type MeterEnv, STARTUP_HOOK_MS, startMeter } from "../harness/meter.ts";

const CLI = join(repoRoot, "cmd/halton-meter.ts");
const RESET_S = Math.floor(Date.now() / 1000) + 2 * 3600;
const WEEK_RESET_S = RESET_S + 4 * 86_400;
const TOKENS = { alice: "sk-ant-oat01-alice-secret", bob: "sk-ant-oat01-bob-secret" };

/** Alice's n-th request reads 10%, 15%, 20%...; Bob's always 85%, warned. */
function answer(req: FakeRequest, conn: FakeConn): void {
  const auth = req.headers.find(([k]) => k.toLowerCase() === "authorization")?.[1] ?? "";
  const n = Number(req.headers.find(([k]) => k.toLowerCase() === "x-n")?.[1] ?? 0);
  const bob = auth.includes("bob");
  const headers = [
    `anthropic-ratelimit-unified-status: ${bob ? "allowed_warning" : "allowed"}`,
    `anthropic-ratelimit-unified-reset: ${RESET_S}`,
    "anthropic-ratelimit-unified-representative-claim: five_hour",
    `anthropic-ratelimit-unified-5h-utilization: ${bob ? 0.85 : (0.1 + 0.05 * n).toFixed(2)}`,
    `anthropic-ratelimit-unified-5h-reset: ${RESET_S}`,
    `anthropic-ratelimit-unified-7d-utilization: ${bob ? 0.4 : 0.25}`,
    `anthropic-ratelimit-unified-7d-reset: ${WEEK_RESET_S}`,
    "anthropic-ratelimit-unified-future_window-utilization: 0.01",
  ];
  // $0.045 a request at claude-sonnet-4-5's $3 / $15 per million.
  conn.write(anthropicJson({ input: 10_000, output: 1_000, model: "claude-sonnet-4-5" }, headers.map((h) => `${h}\r\n`).join("")));
}

let env: MeterEnv;
let notified: string;

/** The notifications notify-send was asked for: each its argv, tab-separated. */
const notifications = () => (existsSync(notified) ? readFileSync(notified, "utf8").split("\n").slice(0, -1) : []); // whole lines only

async function cli(args: string[], extra: Record<string, string> = {}) {
  return env.run([BUN, CLI, ...args], { env: extra });
}

async function send(who: keyof typeof TOKENS, n: number): Promise<void> {
  const body = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 8, messages: [{ role: "user", content: "hi" }] });
  const r = await env.run([
    "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", env.ourCaPath, "-x", env.proxyUrl,
    "-H", "content-type: application/json", "-H", `authorization: Bearer ${TOKENS[who]}`, "-H", `x-n: ${n}`,
    "-H", `x-claude-code-session-id: session-${who}`, "https://api.anthropic.com/v1/messages", "--data-binary", body,
  ]);
  expect(r).toMatchObject({ code: 0, stdout: "200", stderr: "" });
}

interface JsonWindow {
  window: string;
  utilization: number | null;
  status: string | null;
  resetsAt: string | null;
  resetsInSeconds: number | null;
  history: Array<{ utilization: number | null }>;
}
interface JsonAccount {
  provider: string;
  account: string;
  lastClient: string | null;
  lastProject: string | null;
  windows: JsonWindow[];
}

const windowOf = (a: JsonAccount, name: string) => a.windows.find((w) => w.window === name)!;

beforeAll(async () => {
  env = await startMeter({
    prefix: "hm-limits-",
    fake: { script: answer },
    hosts: PROVIDER_HOSTS,
    toml: "[budgets]\ndaily_usd = 0.10\nwindow_alerts = [0.8]\n",
    daemon: false,
  });
  const bin = join(env.sb.root, "bin");
  notified = join(env.sb.root, "notified.log");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "notify-send"), `#!/bin/sh\nfor a in "$@"; do printf '%s\\t' "$a"; done >> '${notified}'\necho >> '${notified}'\n`);
  chmodSync(join(bin, "notify-send"), 0o755);
  env.sb.env.PATH = `${bin}:${env.sb.env.PATH}`;
  await env.startDaemon();
  for (let n = 0; n < 4; n++) await send("alice", n);
  await send("bob", 0);
  await env.waitRows(5, (r) => r.provider === "anthropic", "five anthropic rows");
}, STARTUP_HOOK_MS + 30_000);
afterAll(() => env?.stop());

describe("limits", () => {
  test("each request's account is a fingerprint, never the token; its session is Claude Code's", () => {
    const rows = env.rows((r) => r.provider === "anthropic");
    expect(new Set(rows.map((r) => r.account)).size).toBe(2);
    for (const r of rows) expect(String(r.account)).toMatch(/^[0-9a-f]{16}$/);
    expect(rows.map((r) => r.session)).toEqual(["session-alice", "session-alice", "session-alice", "session-alice", "session-bob"]);
    const everything = JSON.stringify(env.query("SELECT * FROM requests")) + JSON.stringify(env.query("SELECT * FROM limit_samples")) + JSON.stringify(env.query("SELECT * FROM meta"));
    expect(everything).not.toContain("secret");
  });

  test("limits --json: per account, each window's latest utilization, its reset and its history; unknown windows kept by name", async () => {
    const r = await cli(["limits", "--json"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const out = JSON.parse(r.stdout) as { accounts: JsonAccount[] };
    expect(out.accounts.map((a) => a.provider)).toEqual(["anthropic", "anthropic"]);
    const [bob, alice] = out.accounts as [JsonAccount, JsonAccount];
    expect(windowOf(alice, "5h")).toMatchObject({ utilization: 0.25, resetsAt: new Date(RESET_S * 1000).toISOString() });
    expect(windowOf(alice, "5h").history.map((h) => h.utilization)).toEqual([0.1, 0.15, 0.2, 0.25]);
    expect(windowOf(alice, "5h").resetsInSeconds).toBeGreaterThan(3600);
    expect(windowOf(alice, "7d")).toMatchObject({ utilization: 0.25, resetsAt: new Date(WEEK_RESET_S * 1000).toISOString() });
    expect(windowOf(alice, "unified")).toMatchObject({ status: "allowed" });
    expect(windowOf(alice, "future_window")).toMatchObject({ utilization: 0.01 });
    expect(alice.windows.map((w) => w.window).slice(0, 3)).toEqual(["unified", "5h", "7d"]);
    expect(windowOf(bob, "5h")).toMatchObject({ utilization: 0.85 });
    expect(windowOf(bob, "unified")).toMatchObject({ status: "allowed_warning" });
    expect(alice).toMatchObject({ lastClient: "curl" });
  });

  test("/v1/limits answers the same", async () => {
    const res = await fetch(`http://127.0.0.1:${env.sb.ports.api}/v1/limits?provider=anthropic&pace=30m`);
    expect(res.status).toBe(200);
    const out = (await res.json()) as { lookbackMinutes: number; accounts: JsonAccount[] };
    expect(out.lookbackMinutes).toBe(30);
    expect(out.accounts.map((a) => windowOf(a, "5h").utilization)).toEqual([0.85, 0.25]);
    const bad = await fetch(`http://127.0.0.1:${env.sb.ports.api}/v1/limits?pace=soon`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain("pace");
  });

  test("limits as text: a block per account, a row per window", async () => {
    const r = await cli(["limits"], { COLUMNS: "160" });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout.match(/^Anthropic · account [0-9a-f]{8} · curl/gm)).toHaveLength(2);
    const fiveHour = r.stdout.split("\n").filter((l) => /^\s+5h\s/.test(l));
    expect(fiveHour.map((l) => l.trim().split(/\s+/)[1])).toEqual(["85%", "25%"]);
    expect(r.stdout).toMatch(/in 1h 5\dm\)/);
    expect(r.stdout).toContain("binding: five hour");
  });

  test("a bad flag is a usage error (2) that says what is accepted", async () => {
    const r = await cli(["limits", "--provider", "acme"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("anthropic");
    expect((await cli(["limits", "--pace", "10s"])).code).toBe(2);
  });

  test("the crossed daily budget and 5-hour alert: notified once each, logged, and shown by limits and /v1/limits", async () => {
    await waitFor(() => notifications().length >= 2, "two desktop notifications", 20_000);
    const calls = notifications().map((l) => l.split("\t").slice(0, -1));
    expect(calls).toHaveLength(2);
    expect(calls).toContainEqual(["--app-name=Halton Meter", "--", "Halton Meter: budget exceeded", "All projects: $0.23 of the $0.10 daily budget (225%)"]);
    expect(calls).toContainEqual(["--app-name=Halton Meter", "--", "Halton Meter: budget warning", "anthropic 5h limit: 85% used (alert at 80%)"]);
    expect(env.logEvents().filter((e) => e.event === "budget.alert")).toHaveLength(2);
    const r = await cli(["limits", "--json"]);
    const out = JSON.parse(r.stdout) as { alerts: Array<{ severity: string; message: string }> };
    expect(out.alerts.map((a) => a.severity).sort()).toEqual(["exceeded", "warning"]);
    const text = await cli(["limits"]);
    expect(text.stdout.split("\n")[0]).toBe("!! All projects: $0.23 of the $0.10 daily budget (225%)");
    const api = (await (await fetch(`http://127.0.0.1:${env.sb.ports.api}/v1/limits`)).json()) as { alerts: unknown[] };
    expect(api.alerts).toHaveLength(2);
    const status = JSON.parse((await cli(["status", "--json"])).stdout) as { budgets: Array<{ severity: string }> };
    expect(status.budgets.map((b) => b.severity).sort()).toEqual(["exceeded", "warning"]);
    expect((await cli(["status"])).stdout).toContain("budget EXCEEDED");
  }, 30_000);

  test("statusline: the alerts first, then this session's cost, today's, and the session's account's 5-hour window", async () => {
    const p = Bun.spawn([BUN, CLI, "statusline", "--no-color"], { env: env.sb.env, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    p.stdin.write(JSON.stringify({ session_id: "session-alice", cwd: env.sb.root, model: { id: "claude-sonnet-4-5", display_name: "Sonnet 4.5" } }));
    p.stdin.end();
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const line = out.trimEnd();
    expect(line.split("\n")).toHaveLength(1);
    expect(line).toContain("!! All projects: $0.23 of the $0.10 daily budget (225%)");
    expect(line).toContain("$0.18 session");
    expect(line).toContain("$0.23 today");
    expect(line).toMatch(/5h 25% \(resets in (2h|1h 5\dm)/);
  }, 30_000);

  test("a restarted daemon does not notify the same alerts again", async () => {
    await env.restartDaemon();
    await send("alice", 4);
    await env.waitRows(6, (r) => r.provider === "anthropic", "the sixth row");
    // The watch looks at start-up and a few seconds after each commit: wait for a look after it.
    await waitFor(() => {
      const events = env.logEvents();
      const done = events.findLastIndex((e) => e.event === "intercept.complete");
      return done !== -1 && events.slice(done).some((e) => e.event === "budget.checked" && e.in_effect === 2);
    }, "the budget watch's look after the new request", 20_000);
    expect(JSON.parse(readFileSync(env.path("budget-alerts.json"), "utf8"))).toHaveLength(2);
    expect(notifications()).toHaveLength(2);
  }, 30_000);

  test("with the daemon down, limits still reads the store", async () => {
    await env.stopDaemon();
    const r = await cli(["limits", "--json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { accounts: unknown[] }).accounts).toHaveLength(2);
  });
});
