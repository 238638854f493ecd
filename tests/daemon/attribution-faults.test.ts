// Attribution reads files anybody can plant: a FIFO named .haltonrc in a folder above a client's
// cwd (`/tmp/.haltonrc` is anybody's), a directory of that name, a huge one. None of them may
// hold the daemon's loop: the request goes on with the next tier, a log line says why, and a
// stream that another tool has in flight meanwhile loses nothing while /health keeps answering.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { anthropicJson, anthropicSseEvents, chunk, type FakeConn, type FakeRequest, SSE_HEAD } from "../harness/fake-provider.ts";
import { waitFor } from "../harness/sandbox.ts";
import { type MeterEnv, startMeter, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { eventName, MSG_BODY } from "./_env.ts";

const STREAM_BEATS = 20;

/** `?beats=N`: an Anthropic stream with N deltas 100 ms apart; anything else: one JSON answer. */
async function script(req: FakeRequest, conn: FakeConn): Promise<void> {
  const beats = Number(/[?&]beats=(\d+)/.exec(req.path)?.[1] ?? 0);
  if (!beats) return conn.write(anthropicJson({ input: 3, output: 2 }));
  const [start, middle, end] = anthropicSseEvents({ input: 5, output: beats });
  conn.write(SSE_HEAD + chunk(start!));
  for (let i = 0; i < beats; i++) {
    await Bun.sleep(100);
    conn.write(chunk(middle!));
  }
  conn.write(chunk(end!) + chunk(""));
}

let env: MeterEnv;
beforeAll(async () => {
  env = await startMeter({ prefix: "hm-daemon-", fake: { script } });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

function curl(cwd: string, ua: string, query = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = ["curl", "-sS", "-N", "--max-time", "20", "--cacert", env.ourCaPath, "-x", `http://127.0.0.1:${env.sb.ports.edge}`, "-A", ua, "-H", "content-type: application/json"];
  const p = Bun.spawn([...argv, `https://api.anthropic.com/v1/messages${query}`, "-d", MSG_BODY], { env: env.sb.env, cwd, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  return Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]).then(([code, stdout, stderr]) => ({ code, stdout, stderr }));
}

/** Polls /health until `until` settles; the slowest answer (ms) and whether every poll got one. */
async function healthWhile(until: Promise<unknown>): Promise<{ slowestMs: number; failed: number; polls: number }> {
  let done = false;
  void until.finally(() => (done = true));
  let slowestMs = 0;
  let failed = 0;
  let polls = 0;
  while (!done) {
    const t = performance.now();
    const ok = await fetch(`http://127.0.0.1:${env.sb.ports.api}/health`, { signal: AbortSignal.timeout(5000) }).then(
      (r) => r.ok,
      () => false,
    );
    slowestMs = Math.max(slowestMs, performance.now() - t);
    polls++;
    if (!ok) failed++;
    await Bun.sleep(25);
  }
  return { slowestMs, failed, polls };
}

/** A project folder `app` (a git root) below `top`, which holds the planted .haltonrc. */
function plant(name: string, make: (rc: string) => void): string {
  const top = join(env.sb.root, name);
  const app = join(top, "app");
  mkdirSync(join(app, ".git"), { recursive: true });
  make(join(top, ".haltonrc"));
  return app;
}

describe("planted .haltonrc files never hold the daemon", () => {
  test("a FIFO .haltonrc above the cwd: the request is metered under its git root, a line says why; a stream in flight loses nothing; /health answers throughout", async () => {
    const app = plant("fifo", (rc) => {
      const r = Bun.spawnSync(["mkfifo", rc]);
      expect(r.exitCode).toBe(0);
    });
    const stream = curl(env.sb.root, "attr/stream", `?beats=${STREAM_BEATS}`);
    // Let the stream get going before the planted request arrives.
    await waitFor(() => env.logEvents().some((e) => eventName(e) === "intercept.start"), "the stream to start");
    const planted = curl(app, "attr/fifo");
    const health = healthWhile(Promise.all([stream, planted]));
    const [s, p, h] = await Promise.all([stream, planted, health]);
    expect([p.code, p.stderr]).toEqual([0, ""]);
    expect(JSON.parse(p.stdout).usage).toEqual({ input_tokens: 3, output_tokens: 2 });
    expect([s.code, s.stdout.match(/event: content_block_delta/g)?.length]).toEqual([0, STREAM_BEATS]);
    expect(h.failed).toBe(0);
    expect(h.polls).toBeGreaterThan(10);
    // Unfixed, the daemon's loop blocks on the FIFO for good; a bounded answer is the fix.
    expect(h.slowestMs).toBeLessThan(1000);
    const [row] = await env.waitRows(1, (r) => r.user_agent === "attr/fifo");
    expect([row!.project, row!.project_source]).toEqual(["app", "git"]);
    const ignored = env.logEvents().filter((e) => eventName(e) === "attribution.file_ignored");
    expect(ignored.some((e) => String(e.reason).includes(join(env.sb.root, "fifo", ".haltonrc")) && String(e.reason).includes("not a regular file"))).toBe(true);
  }, 40_000);

  test("a directory named .haltonrc and one over 64 KiB are passed over with a reason; the next tier answers", async () => {
    const dirApp = plant("dir", (rc) => mkdirSync(rc));
    const hugeApp = plant("huge", (rc) => writeFileSync(rc, `project = "huge"\n${"#".repeat(100_000)}\n`));
    for (const [cwd, ua] of [
      [dirApp, "attr/dir"],
      [hugeApp, "attr/huge"],
    ] as const) {
      const r = await curl(cwd, ua);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const [row] = await env.waitRows(1, (x) => x.user_agent === ua);
      expect([row!.project, row!.project_source]).toEqual(["app", "git"]);
    }
    const reasons = env.logEvents().filter((e) => eventName(e) === "attribution.file_ignored").map((e) => String(e.reason));
    expect(reasons.some((r) => r.startsWith(join(env.sb.root, "dir", ".haltonrc")) && r.includes("not a regular file"))).toBe(true);
    expect(reasons.some((r) => r.startsWith(join(env.sb.root, "huge", ".haltonrc")) && r.includes("over the 65536-byte limit"))).toBe(true);
  }, 30_000);

  test("a readable .haltonrc still names the project (the tier the others fell through)", async () => {
    const app = plant("fine", (rc) => writeFileSync(rc, 'project = "named-by-rc"\n'));
    const r = await curl(app, "attr/fine");
    expect(r.code).toBe(0);
    const [row] = await env.waitRows(1, (x) => x.user_agent === "attr/fine");
    expect([row!.project, row!.project_source]).toEqual(["named-by-rc", "haltonrc"]);
  }, 30_000);
});
