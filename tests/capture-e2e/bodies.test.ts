// Body capture end to end through the edge and the daemon: off by default, on through config or
// a project's .haltonrc, secrets gone before anything reaches the disk, each body capped and
// stored decoded.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { FakeConn, FakeRequest } from "../harness/fake-provider.ts";
import { waitFor } from "../harness/sandbox.ts";
import { STARTUP_HOOK_MS } from "../harness/meter.ts";
import { type CaptureEnv, startCapture } from "./_meter.ts";

const SECRETS = {
  apiKey: "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
  bearer: "sk-proj-ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210",
  google: "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW",
  cookie: "sessionid=s3cr3t-cookie-value-42",
  setCookie: "__cf_bm=response-cookie-secret-99",
};

/** Anthropic JSON whose text echoes a key (as a model might), with a cookie set on the way out. */
function answer(req: FakeRequest, conn: FakeConn): void {
  const body = JSON.stringify({
    id: "msg_bodies",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5-20250929",
    content: [{ type: "text", text: `your key ${SECRETS.google} looks leaked` }],
    stop_reason: "end_turn",
    usage: { input_tokens: 21, output_tokens: 9 },
  });
  if (req.headers.some(([k, v]) => k.toLowerCase() === "x-gzip" && v === "1")) {
    const gz = gzipSync(body);
    conn.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`, "latin1"), gz]));
    return;
  }
  conn.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: ${SECRETS.setCookie}; Path=/\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
}

function requestBody(marker: string, padding = 0): string {
  return JSON.stringify({
    model: "claude-sonnet-4-5",
    max_tokens: 64,
    messages: [{ role: "user", content: `${marker}: is ${SECRETS.apiKey} a valid key?${"x".repeat(padding)}` }],
  });
}

async function send(env: CaptureEnv, marker: string, opts: { cwd?: string; padding?: number; gzip?: boolean } = {}): Promise<void> {
  const argv = ["curl", "-sS", "--compressed", "--cacert", env.ourCaPath, "-x", env.proxyUrl, "https://api.anthropic.com/v1/messages"];
  argv.push("-H", "content-type: application/json", "-H", `x-api-key: ${SECRETS.apiKey}`, "-H", `Authorization: Bearer ${SECRETS.bearer}`, "-H", `Cookie: ${SECRETS.cookie}`, "-H", `x-goog-api-key: ${SECRETS.google}`, "-H", `x-marker: ${marker}`);
  if (opts.gzip) argv.push("-H", "x-gzip: 1");
  argv.push("--data-binary", requestBody(marker, opts.padding));
  const r = await env.run(argv, { cwd: opts.cwd });
  expect(r.stderr).toBe("");
  expect(JSON.parse(r.stdout).usage).toEqual({ input_tokens: 21, output_tokens: 9 });
}

/** Every byte SQLite has written: the database and its WAL. */
function diskBytes(env: CaptureEnv): string {
  const db = join(env.sb.meterHome, "db.sqlite");
  return [db, `${db}-wal`].filter(existsSync).map((f) => readFileSync(f).toString("latin1")).join("");
}

/** A project folder with a .haltonrc, for curl to run in. */
function project(env: CaptureEnv, name: string, rc: string): string {
  const dir = join(env.sb.root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, ".haltonrc"), rc);
  return dir;
}

function storedBody(env: CaptureEnv, marker: string) {
  return waitFor(() => env.bodies().find((b) => b.request_body?.includes(`${marker}:`)), `stored body for ${marker}`);
}

describe("body capture on in config", () => {
  let env: CaptureEnv;
  beforeAll(async () => {
    env = await startCapture({ script: answer, toml: "[capture]\nbody_capture = true\nbody_max_bytes = 4000\n" });
  }, STARTUP_HOOK_MS);
  afterAll(() => env?.stop());

  test("request and response are stored with every secret redacted, and no secret reaches the disk", async () => {
    await send(env, "on-config");
    const stored = await storedBody(env, "on-config");
    const req = stored.request_body!;
    const res = stored.response_body!;
    expect(req).toStartWith("POST /v1/messages HTTP/1.1\r\n");
    expect(req).toMatch(/^x-api-key: \[redacted\]\r$/m);
    expect(req).toMatch(/^Authorization: \[redacted\]\r$/m);
    expect(req).toMatch(/^Cookie: \[redacted\]\r$/m);
    expect(req).toMatch(/^x-goog-api-key: \[redacted\]\r$/m);
    expect(req).toContain("x-marker: on-config");
    expect(req).toContain('"content":"on-config: is [redacted] a valid key?"');
    expect(res).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(res).toMatch(/^Set-Cookie: \[redacted\]\r$/m);
    expect(res).toContain("your key [redacted] looks leaked");
    expect(stored.request_bytes).toBe(Buffer.byteLength(req));
    expect(stored.response_bytes).toBe(Buffer.byteLength(res));
    const disk = diskBytes(env);
    for (const secret of Object.values(SECRETS)) expect(disk.includes(secret)).toBe(false);
    // The redacted text itself is on disk: the check above looked at the right bytes.
    expect(disk).toContain("on-config: is [redacted] a valid key?");
  });

  test("a body over body_max_bytes is cut there, with a note saying how much arrived", async () => {
    await send(env, "big-body", { padding: 10_000 });
    const stored = await storedBody(env, "big-body");
    const req = stored.request_body!;
    const head = req.slice(0, req.indexOf("\r\n\r\n") + 4);
    const body = req.slice(head.length);
    const note = /\n\[halton-meter: body cut at 4000 bytes; (\d+) bytes received\]$/.exec(body);
    expect(note).not.toBeNull();
    expect(Number(note![1])).toBe(Buffer.byteLength(requestBody("big-body", 10_000)));
    expect(body.length - note![0].length).toBeLessThanOrEqual(4000);
    expect(body.length - note![0].length).toBeGreaterThan(4000 - "[redacted]".length - 60);
  });

  test("a gzip response is stored decoded", async () => {
    await send(env, "gzipped", { gzip: true });
    const stored = await storedBody(env, "gzipped");
    expect(stored.response_body).toMatch(/^Content-Encoding: gzip\r$/m);
    expect(stored.response_body).toContain('"usage":{"input_tokens":21,"output_tokens":9}');
  });

  test("a .haltonrc saying body_capture = off wins over config", async () => {
    const dir = project(env, "quiet", "project = quiet\nbody_capture = off\n");
    await send(env, "rc-off", { cwd: dir });
    await waitFor(() => env.rows().find((r) => r.project === "quiet"), "row for the quiet project");
    expect(env.bodies().find((b) => b.request_body?.includes("rc-off:"))).toBeUndefined();
  });
});

describe("body capture off by default", () => {
  let env: CaptureEnv;
  beforeAll(async () => {
    env = await startCapture({ script: answer });
  }, STARTUP_HOOK_MS);
  afterAll(() => env?.stop());

  test("nothing is stored without config or .haltonrc; the row still is", async () => {
    await send(env, "default-off");
    const row = await waitFor(() => env.rows().find((r) => r.path === "/v1/messages"), "row");
    expect(row.input_tokens).toBe(21);
    expect(env.bodies()).toEqual([]);
    const disk = diskBytes(env);
    for (const secret of Object.values(SECRETS)) expect(disk.includes(secret)).toBe(false);
  });

  test("a .haltonrc with body_capture = on turns it on for that project only", async () => {
    const dir = project(env, "loud", 'project = "loud"\nbody_capture = on\n');
    await send(env, "rc-on", { cwd: dir });
    const stored = await storedBody(env, "rc-on");
    expect(stored.request_body).toMatch(/^x-api-key: \[redacted\]\r$/m);
    expect(env.rows().find((r) => r.exchange_id === stored.exchange_id)?.project).toBe("loud");
    await send(env, "still-off");
    await waitFor(() => env.rows().length >= 3, "third row");
    expect(env.bodies().map((b) => b.exchange_id)).toEqual([stored.exchange_id]);
  });
});
