// Issue 13, point 6: a provider that closes idle keep-alive connections first (as real ones do,
// after a keep-alive timeout) must not leave the daemon holding its side. A thousand exchanges
// in waves: each wave fills the upstream pool, goes quiet, and the provider closes every idle
// connection; afterwards the daemon's fds are back at their baseline and none of its sockets
// sits in CLOSE_WAIT (the provider's FIN received, our side never closed). And a provider that
// writes unasked on an idle connection (a stray 408) has it retired, not handed to a request.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { rssBytes } from "../harness/edge-process.ts";
import { anthropicJson, type FakeProvider } from "../harness/fake-provider.ts";
import { type FakeOptions, type MeterEnv, startMeter, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { waitFor } from "../harness/sandbox.ts";
import { MSG_BODY } from "./_env.ts";
import { KeepAliveClient } from "./_keepalive-client.ts";
import { fdCount, tcpStates } from "./_proc-sockets.ts";

/** The provider's keep-alive timeout: it closes a connection idle this long. */
const PROVIDER_IDLE_MS = Number(process.env.HM_TEST_PROVIDER_IDLE_MS ?? 1000);
// 5 waves x 20 connections x 10 requests = 1,000 exchanges. 20 is above the pool's 16 idle
// connections per host, so each wave also has the pool turn some away on release.
const WAVES = 5;
const CLIENTS = 20;
const PER_CLIENT = 10;
/** Fds the daemon may open once, for good, on its first exchanges (worker threads and their pipes). */
const FD_SLACK = 8;
/** Growth in RSS that still counts as flat (see the assertion). */
const RSS_SLACK_MB = 40;

const ANSWER = anthropicJson({ input: 1, output: 1 });
const ANSWER_BYTES = Buffer.byteLength(ANSWER, "latin1");
const request = (host: string) => `POST /v1/messages HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: idle-close\r\nContent-Type: application/json\r\nContent-Length: ${MSG_BODY.length}\r\n\r\n${MSG_BODY}`;

let env: MeterEnv;
/** Behind api.anthropic.com: closes idle connections. Behind api.openai.com: writes a stray 408 on them. */
let provider: FakeProvider;
let stray: FakeProvider;
let ourCa: string;

beforeAll(async () => {
  const idleProvider = (then: "close" | "stray"): FakeOptions => ({ record: false, script: (_r, c) => c.write(ANSWER), idle: { ms: PROVIDER_IDLE_MS, then } });
  env = await startMeter({ prefix: "hm-idle-close-", fake: idleProvider("close"), hosts: ["api.anthropic.com"], fakeFor: { "api.openai.com": idleProvider("stray") }, edge: false });
  provider = env.fake;
  stray = env.fakes["api.openai.com"]!;
  ourCa = env.ourCaPem;
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

/** The daemon's sockets of this test: clients on its internal port, upstreams to the provider. */
const proxySockets = () => tcpStates(env.daemon.pid, [env.sb.ports.internal, provider.port]);

/** One wave: `clients` keep-alive connections in parallel, `each` exchanges on each; the status lines. */
async function wave(host = "api.anthropic.com", clients = CLIENTS, each = PER_CLIENT): Promise<string[]> {
  const conns = await Promise.all(Array.from({ length: clients }, () => KeepAliveClient.open(env.sb.ports.internal, ourCa, host)));
  const statuses = await Promise.all(
    conns.map(async (c) => {
      const got: string[] = [];
      for (let i = 0; i < each; i++) got.push((await c.exchange(request(host), ANSWER_BYTES)).toString("latin1").split("\r\n")[0]!);
      c.close();
      return got;
    }),
  );
  return statuses.flat();
}

/**
 * Quiet until the provider has closed every connection it idled out and the kernel has seen each
 * FIN (none of the daemon's proxy sockets is ESTABLISHED any more: clients gone, upstreams FIN'd).
 * Whether the daemon then closed its side is what the test asserts, so it is not waited for here.
 */
async function quiet(): Promise<void> {
  await waitFor(() => !proxySockets().ESTABLISHED, "the provider to close its idle connections", PROVIDER_IDLE_MS + 10_000);
}

const mb = (bytes: number | null) => Math.round((bytes ?? 0) / 2 ** 20);

test(`${WAVES * CLIENTS * PER_CLIENT} exchanges, the provider closing idle connections after ${PROVIDER_IDLE_MS} ms: no CLOSE_WAIT, fds and RSS flat`, async () => {
  const pid = env.daemon.pid;
  const fdsAtStart = fdCount(pid);
  const rssAtStart = rssBytes(pid);
  const statuses: string[] = [];
  const afterWave: Array<{ fds: number; closeWait: number; rssMb: number }> = [];
  for (let w = 0; w < WAVES; w++) {
    statuses.push(...(await wave()));
    await quiet();
    afterWave.push({ fds: fdCount(pid), closeWait: proxySockets().CLOSE_WAIT ?? 0, rssMb: mb(rssBytes(pid)) });
  }
  // The last FINs may still wait in the daemon's queue: allow it the moment it needs to act on
  // them. Whatever is left then, the assertions below name.
  await waitFor(() => !proxySockets().CLOSE_WAIT && fdCount(pid) <= afterWave[0]!.fds, "the daemon to close its side", 5000).catch(() => {});
  const report = { fdsAtStart, fdsAtEnd: fdCount(pid), states: proxySockets(), rssStartMb: mb(rssAtStart), rssEndMb: mb(rssBytes(pid)), afterWave, accepted: provider.accepted, idleClosed: provider.idleClosed };
  console.log(`idle-close: ${JSON.stringify(report)}`);

  expect(statuses.length).toBe(WAVES * CLIENTS * PER_CLIENT);
  expect(statuses.filter((s) => s !== "HTTP/1.1 200 OK")).toEqual([]);
  // Every wave left idle pooled connections for the provider to close.
  expect(provider.idleClosed).toBeGreaterThanOrEqual(WAVES * 10);
  expect(report.states.CLOSE_WAIT ?? 0).toBe(0);
  // Flat: no more fds after the last wave than after the first, and few more than before any.
  expect(report.fdsAtEnd).toBeLessThanOrEqual(afterWave[0]!.fds);
  expect(report.fdsAtEnd - fdsAtStart).toBeLessThanOrEqual(FD_SLACK);
  // RSS is measured from the end of the first wave (TLS, JIT and caches warm by then) and moves
  // with the collector by ~15 MB either way; 24,000 exchanges peaked 25 MB above the first wave.
  expect(report.rssEndMb - afterWave[0]!.rssMb).toBeLessThan(RSS_SLACK_MB);
}, 120_000);

test("stray bytes from the provider on an idle pooled connection retire it at once", async () => {
  expect(await wave("api.openai.com", 4, 2)).toEqual(Array(8).fill("HTTP/1.1 200 OK"));
  await waitFor(() => stray.idleClosed === stray.accepted, "the provider's stray 408s", PROVIDER_IDLE_MS + 5000);
  // At once, not when the pool's own idle timer (4 s from release) would have closed them anyway.
  await waitFor(() => stray.open === 0, "the daemon to close the connections that had stray bytes", 2000);
  expect(await wave("api.openai.com", 4, 2)).toEqual(Array(8).fill("HTTP/1.1 200 OK"));
}, 30_000);
