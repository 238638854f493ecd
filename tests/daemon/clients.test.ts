// Real clients through the edge and directly through the daemon's internal port: each gets the
// fake provider's body, and a row with the fake's token counts lands in the store.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { anthropicJson } from "../harness/fake-provider.ts";
import { type MeterEnv, startMeter, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { MSG_BODY } from "./_env.ts";

let env: MeterEnv;
let n = 0;

beforeAll(async () => {
  // Every request gets distinct token counts so each row is traceable to one client run.
  env = await startMeter({
    prefix: "hm-daemon-",
    fake: {
      script: (req, c) => {
        const seq = Number(req.headers.find(([k]) => k.toLowerCase() === "x-seq")?.[1] ?? 0);
        c.write(anthropicJson({ input: 1000 + seq, output: 2000 + seq }));
      },
    },
  });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

async function expectRow(seq: number): Promise<void> {
  const row = await env.waitRow((r) => r.input_tokens === 1000 + seq, `row for seq ${seq}`);
  expect(row.output_tokens).toBe(2000 + seq);
  expect(row.provider).toBe("anthropic");
  expect(row.model).toBe("claude-sonnet-4-20250514");
}

const URL = "https://api.anthropic.com/v1/messages";

for (const via of ["edge", "internal"] as const) {
  describe(`through the ${via} port`, () => {
    const port = () => (via === "edge" ? env.sb.ports.edge : env.sb.ports.internal);

    test("curl", async () => {
      const seq = ++n;
      const r = await env.run(["curl", "-sS", "--cacert", env.ourCaPath, "-x", `http://127.0.0.1:${port()}`, "-H", `x-seq: ${seq}`, "-H", "content-type: application/json", URL, "-d", MSG_BODY]);
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout).usage).toEqual({ input_tokens: 1000 + seq, output_tokens: 2000 + seq });
      await expectRow(seq);
    });

    test("Bun fetch with proxy", async () => {
      const seq = ++n;
      const res = await fetch(URL, { method: "POST", body: MSG_BODY, headers: { "x-seq": String(seq), "content-type": "application/json" }, proxy: `http://127.0.0.1:${port()}`, tls: { ca: env.ourCaPem } } as RequestInit);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { usage: { input_tokens: number } }).usage.input_tokens).toBe(1000 + seq);
      await expectRow(seq);
    });

    test("Node https over a CONNECT socket", async () => {
      const seq = ++n;
      const script = `
const http = require('http'), https = require('https');
const body = ${JSON.stringify(MSG_BODY)};
const c = http.request({ host: '127.0.0.1', port: ${port()}, method: 'CONNECT', path: 'api.anthropic.com:443' });
c.on('connect', (res, socket) => {
  if (res.statusCode !== 200) { console.error('connect ' + res.statusCode); process.exit(2); }
  const r = https.request({ socket, servername: 'api.anthropic.com', host: 'api.anthropic.com', path: '/v1/messages', method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-seq': '${seq}' } }, (res2) => {
    let d = ''; res2.on('data', (x) => d += x); res2.on('end', () => { process.stdout.write(d); socket.destroy(); });
  });
  r.on('error', (e) => { console.error(e.message); process.exit(3); });
  r.end(body);
});
c.on('error', (e) => { console.error(e.message); process.exit(4); });
c.end();`;
      const r = await env.run(["node", "-e", script], { env: { NODE_EXTRA_CA_CERTS: env.ourCaPath } });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).usage.output_tokens).toBe(2000 + seq);
      await expectRow(seq);
    });

    test("Debian python3-requests", async () => {
      const seq = ++n;
      const script = `
import requests, sys
r = requests.post(${JSON.stringify(URL)}, data=${JSON.stringify(MSG_BODY)}, headers={'x-seq': '${seq}', 'content-type': 'application/json'},
                  proxies={'https': 'http://127.0.0.1:${port()}'})
sys.stdout.write(r.text)`;
      const r = await env.run(["/usr/bin/python3", "-c", script], { env: { REQUESTS_CA_BUNDLE: env.ourCaPath } });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).usage.input_tokens).toBe(1000 + seq);
      await expectRow(seq);
    });
  });
}
