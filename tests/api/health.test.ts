// The one reader of /health (core/api/health.ts): the daemon's real answer read back whole, every
// cut of it waits for more, garbage is a named error and never a throw, and the three readers (the
// CLI's fetchHealth, the edge's probe, the typed client) give one verdict on the same bytes.

import { afterAll, describe, expect, test } from "bun:test";
import type { Server, TCPSocketListener } from "bun";
import { createApi } from "../../core/api/app.ts";
import { createClient } from "../../core/api/client.ts";
import { parseHealth, parsePartialHealth, readHealth } from "../../core/api/health.ts";
import { loopbackFetch } from "../../core/api/loopback-fetch.ts";
import { probeHealth } from "../../core/edge/health-probe.ts";
import { fetchHealth } from "../../core/service/health.ts";

const BYPASS = { process: "pid 9", host: "api.openai.com", until: Date.UTC(2026, 0, 1), reason: "cert-rejected" };
const WRITER = { queued: 2, committed: 40, dropped: 1, failedFlushes: 3, lastError: "disk full" };

/** The daemon's API as it runs, answering on `port()`. */
const daemonApi = (port: () => number) => createApi({ version: "1.2.3", pid: 4242, startedAt: 0, now: () => 5_400, port, tlsBypass: () => [BYPASS], capture: () => WRITER });

/** The bytes of the daemon's /health body. */
async function realBody(): Promise<string> {
  const res = await daemonApi(() => 48767).request("http://127.0.0.1:48767/health", { headers: { host: "127.0.0.1:48767" } });
  expect(res.status).toBe(200);
  return res.text();
}

describe("parseHealth", () => {
  test("reads the daemon's real answer back field for field, in the order it was sent", async () => {
    const body = await realBody();
    const read = parseHealth(body);
    expect(read).toEqual({ ok: true, health: JSON.parse(body) });
    expect(read.ok && read.health).toEqual({
      status: "ok",
      version: "1.2.3",
      pid: 4242,
      uptime_s: 5,
      tls_bypass: [{ process: "pid 9", host: "api.openai.com", until: "2026-01-01T00:00:00.000Z", reason: "cert-rejected" }],
      capture: { queued: 2, committed: 40, dropped: 1, failed_flushes: 3, last_error: "disk full" },
    });
    expect(read.ok && JSON.stringify(read.health)).toBe(body);
  });

  test("a bare ok is healthy: missing details stay missing, a missing list is empty", () => {
    expect(parseHealth('{"status":"ok"}')).toEqual({ ok: true, health: { status: "ok", tls_bypass: [] } });
  });

  test("details of the wrong shape are left out, and never make a working daemon unhealthy", () => {
    const body = JSON.stringify({ status: "ok", version: 3, pid: "7", uptime_s: null, tls_bypass: [{ process: "pid 1" }, { ...BYPASS, until: "soon" }], capture: { queued: "x" }, later: true });
    expect(parseHealth(body)).toEqual({ ok: true, health: { status: "ok", tls_bypass: [{ ...BYPASS, until: "soon" }] } });
  });

  test("garbage is a named error value, never a throw", () => {
    const cases: Array<[string, string]> = [
      ["", "not-json"],
      ["\x16\x03\x01 not http at all", "not-json"],
      ["<html>ok</html>", "not-json"],
      ['{"status":"ok"', "not-json"],
      ['{"status":"ok"}{"status":"ok"}', "not-json"],
      ["null", "not-health"],
      ["42", "not-health"],
      ['"ok"', "not-health"],
      ['[{"status":"ok"}]', "not-health"],
      ["{}", "not-health"],
      ['{"status":true}', "not-health"],
      ['{"health":{"status":"ok"}}', "not-health"],
      ['{"status":"starting"}', "not-ok"],
    ];
    for (const [body, error] of cases) expect({ body, read: parseHealth(body) }).toMatchObject({ body, read: { ok: false, error, why: expect.stringContaining("/health") } });
    expect(parseHealth('{"status":"starting"}')).toMatchObject({ why: '/health says "starting"' });
    expect(readHealth(undefined)).toMatchObject({ ok: false, error: "not-health" });
  });

  test("arbitrary bytes never throw and are never healthy", () => {
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    for (let i = 0; i < 2000; i++) {
      const text = String.fromCharCode(...Array.from({ length: next() % 40 }, () => next() % 128));
      expect(parseHealth(text).ok).toBe(false);
    }
  });
});

describe("parsePartialHealth", () => {
  test("every cut of the real answer waits while the peer is open, and is not JSON once it closed", async () => {
    const body = await realBody();
    for (let cut = 0; cut < body.length; cut++) {
      expect({ cut, read: parsePartialHealth(body.slice(0, cut), false) }).toEqual({ cut, read: undefined });
      expect({ cut, read: parsePartialHealth(body.slice(0, cut), true) }).toMatchObject({ cut, read: { ok: false, error: "not-json" } });
    }
    expect(parsePartialHealth(body, false)).toMatchObject({ ok: true });
    expect(parsePartialHealth(`${body}junk`, true)).toMatchObject({ ok: false, error: "not-json" });
  });

  test("an answer that is whole but not ok is judged at once, without waiting for the close", () => {
    expect(parsePartialHealth('{"status":"starting"}', false)).toMatchObject({ ok: false, error: "not-ok" });
    expect(parsePartialHealth("[]", false)).toMatchObject({ ok: false, error: "not-health" });
  });
});

describe("every reader gives one verdict", () => {
  const listeners: TCPSocketListener[] = [];
  let server: Server<undefined> | undefined;
  afterAll(() => {
    for (const l of listeners) l.stop(true);
    server?.stop(true);
  });

  /** A peer that answers every request with `body` after an HTTP 200 head, then closes. */
  function answering(body: string): number {
    const l = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { data: (s) => void s.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`) },
    });
    listeners.push(l);
    return l.port;
  }

  const client = (port: number) => createClient({ baseUrl: `http://127.0.0.1:${port}`, fetch: loopbackFetch, timeoutMs: 2000 });

  test("the daemon's API: healthy to all three, with the same answer", async () => {
    const app = daemonApi(() => server!.port!);
    server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
    const port = server.port!;
    const cli = await fetchHealth(port, 2000);
    expect(cli).toMatchObject({ ok: true, answer: { version: "1.2.3", pid: 4242, capture: { dropped: 1 } } });
    const typed = await client(port).health();
    expect(typed.ok && typed.value).toEqual(cli.ok && cli.answer);
    expect(await probeHealth(port, 2000)).toEqual({ healthy: true });
  });

  // The typed client decodes JSON before the health reader sees it, and says so in its own words.
  for (const [body, why, clientSays = why] of [
    ['{"status":"starting"}', '/health says "starting"'],
    ['{"status":"ok"}junk', "/health answered something that is not JSON", "HTTP 200 without a JSON body"],
    ["[1,2,3]", "/health answered JSON that is not a health answer"],
  ] as const) {
    test(`${body}: unhealthy to all three`, async () => {
      const port = answering(body);
      expect(await fetchHealth(port, 2000)).toEqual({ ok: false, why: expect.stringContaining(why) });
      expect(await probeHealth(port, 2000)).toEqual({ healthy: false, why: "bad-answer" });
      expect(await client(port).health()).toMatchObject({ ok: false, status: 200, error: clientSays });
    });
  }
});
