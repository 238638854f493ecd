// The self-test canary against a real daemon and edge (from source): answered by the daemon
// itself under our CA, never sent upstream, stored as one unmetered "halton-meter" row.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { sendCanary } from "../../core/service/canary.ts";
import { findCanaryRow, runSelfTest } from "../../core/service/self-test.ts";
import { type MeterEnv, startMeter, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { freePort, waitFor } from "../harness/sandbox.ts";

let env: MeterEnv;
beforeAll(async () => {
  env = await startMeter({ prefix: "hm-daemon-" });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

const dbPath = () => env.path("db.sqlite");

test("the self-test passes every step and the canary never reaches the provider", async () => {
  const before = env.fake.requests().length;
  const r = await runSelfTest({ ports: env.sb.ports, caPem: env.ourCaPem, dbPath: dbPath(), budgetMs: 20_000 });
  expect(r.steps.map((s) => [s.name, s.ok])).toEqual([
    ["health", true],
    ["intercept", true],
    ["store", true],
  ]);
  expect(r.ok).toBe(true);
  expect(env.fake.requests().length).toBe(before);
});

test("the canary row is unmetered, costless, provider and client halton-meter", async () => {
  const nonce = "row-check-0123456789";
  expect(await sendCanary({ edgePort: env.sb.ports.edge, host: "api.openai.com", caPem: env.ourCaPem, nonce, timeoutMs: 5000 })).toEqual({ ok: true });
  await waitFor(() => findCanaryRow(dbPath(), nonce), "the canary's row");
  const [row] = env.query("SELECT * FROM requests WHERE exchange_id = ?", `self-test:${nonce}`);
  expect(row).toMatchObject({ provider: "halton-meter", endpoint: "self-test", client: "halton-meter", host: "api.openai.com", status: 200, price_status: "unmetered", cost_micros: null, metered: 0, input_tokens: 0, output_tokens: 0 });
});

test("a malformed nonce gets 400 from the daemon, still without going upstream", async () => {
  const before = env.fake.requests().length;
  const r = await sendCanary({ edgePort: env.sb.ports.edge, host: "api.anthropic.com", caPem: env.ourCaPem, nonce: "bad!", timeoutMs: 5000 });
  expect(r).toEqual({ ok: false, stage: "answer", why: expect.stringContaining("HTTP 400") });
  expect(env.fake.requests().length).toBe(before);
  const noted = () => env.rows().filter((row) => row.note === "malformed self-test nonce" && row.status === 400 && row.provider === "halton-meter");
  expect((await waitFor(() => noted().length === 1, "the malformed canary's row")) && noted()).toHaveLength(1);
});

test("a canary trusting another CA fails at TLS: the daemon's leaf is ours alone", async () => {
  const r = await sendCanary({ edgePort: env.sb.ports.edge, host: "api.anthropic.com", caPem: await Bun.file(env.certs.caPath).text(), nonce: "other-ca-0123456789", timeoutMs: 5000 });
  expect(r).toMatchObject({ ok: false, stage: "tls" });
});

test("with nothing on the ports the self-test fails at health, within its budget", async () => {
  const ports = { edge: freePort(), internal: freePort(), api: freePort() };
  const r = await runSelfTest({ ports, caPem: env.ourCaPem, dbPath: dbPath(), budgetMs: 1200, intervalMs: 200 });
  expect(r.ok).toBe(false);
  expect(r.steps).toEqual([{ name: "health", ok: false, detail: expect.stringContaining("daemon not running") }]);
});

test("an abort reason ends the self-test at once with that reason", async () => {
  const ports = { edge: freePort(), internal: freePort(), api: freePort() };
  const r = await runSelfTest({ ports, caPem: env.ourCaPem, dbPath: dbPath(), budgetMs: 60_000, abortReason: async () => "daemon exited with code 1" });
  expect(r.ok).toBe(false);
  expect(r.steps[0]).toEqual({ name: "health", ok: false, detail: "daemon exited with code 1" });
});
