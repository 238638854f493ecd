// SSE is never buffered (a causal check: event 1 reaches the client while the provider still
// holds event 2), the row carries the final usage, and SIGTERM lets an in-flight stream finish.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { SSE_HEAD, anthropicSseEvents, chunk } from "../harness/fake-provider.ts";
import { waitFor } from "../harness/sandbox.ts";
import { type MeterEnv, startMeter, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { MSG_BODY, eventName } from "./_env.ts";
import { rawTls } from "./_rawtls.ts";

let env: MeterEnv;
let release: () => void = () => {};
let released = false;
let heldRequests = 0;

beforeAll(async () => {
  env = await startMeter({
    prefix: "hm-daemon-",
    fake: {
      script: async (_req, c) => {
        const [first, middle, last] = anthropicSseEvents({ input: 321, output: 654 });
        c.write(SSE_HEAD + chunk(first!));
        heldRequests++;
        await new Promise<void>((r) => {
          release = r;
        });
        c.write(chunk(middle!) + chunk(last!) + "0\r\n\r\n");
      },
    },
  });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

test("event 1 reaches the client before the provider sends event 2; row has final usage", async () => {
  released = false;
  const res = await fetch("https://api.anthropic.com/v1/messages", {
    method: "POST",
    body: MSG_BODY,
    headers: { "content-type": "application/json" },
    proxy: `http://127.0.0.1:${env.sb.ports.edge}`,
    tls: { ca: env.ourCaPem },
    // No idle pooled connection left behind: the SIGTERM test below is about the in-flight stream.
    keepalive: false,
  } as RequestInit);
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  while (!text.includes("message_start")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  // The provider is still holding event 2: had the proxy buffered, we would not be here.
  expect(released).toBe(false);
  expect(text).toContain("event: message_start");
  expect(text).not.toContain("EVENT-TWO");
  released = true;
  release();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  expect(text).toContain("EVENT-TWO");
  expect(text).toContain("event: message_stop");
  const row = await waitFor(() => env.rows().find((r) => r.input_tokens === 321), "sse row");
  expect(row.output_tokens).toBe(654);
  expect(Boolean(row.stream)).toBe(true);
  expect(Boolean(row.tokens_complete)).toBe(true);
});

test("SIGTERM during a held SSE stream: the client still gets all of it, then exit 0 and daemon.exit", async () => {
  const held = heldRequests;
  const request = `POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nContent-Type: application/json\r\nContent-Length: ${MSG_BODY.length}\r\n\r\n${MSG_BODY}`;
  const client = rawTls(env, env.sb.ports.internal, [{ send: request }, { until: "0\r\n\r\n" }], { endAfter: true });
  await waitFor(() => heldRequests > held, "stream in flight");
  process.kill(env.daemon.pid, "SIGTERM");
  await waitFor(() => env.logEvents().some((e) => eventName(e) === "daemon.stopping"), "daemon.stopping");
  expect(env.daemon.exitCode).toBe(null);
  release();
  const got = (await client).toString("latin1");
  expect(got).toContain("event: message_start");
  expect(got).toContain("EVENT-TWO");
  expect(got.endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n\r\n0\r\n\r\n")).toBe(true);
  expect(await env.daemon.exited).toBe(0);
  expect(env.logEvents().some((e) => eventName(e) === "daemon.exit")).toBe(true);
}, 20_000);

test("SIGTERM with only an idle keep-alive client connection: the daemon exits 0 (within its grace)", async () => {
  const e2 = await startMeter({ prefix: "hm-daemon-", edge: false });
  try {
    const res = await fetch("https://api.anthropic.com/v1/messages", { method: "POST", body: MSG_BODY, proxy: `http://127.0.0.1:${e2.sb.ports.internal}`, tls: { ca: e2.ourCaPem } } as RequestInit);
    expect(res.status).toBe(200);
    await res.text();
    process.kill(e2.daemon.pid, "SIGTERM");
    // Default shutdown_grace_ms is 10 s; after it the daemon must close what is left and exit.
    const code = await Promise.race([e2.daemon.exited, Bun.sleep(25_000).then(() => "still running")]);
    expect(code).toBe(0);
    expect(e2.logEvents().some((e) => eventName(e) === "daemon.exit")).toBe(true);
  } finally {
    await e2.stop();
  }
}, STARTUP_HOOK_MS);
