// Trust boundaries and the API: raw tunnels show the upstream's own certificate, a bad upstream
// certificate is a clear 502, a client rejecting our CA gets a logged hint and then a raw tunnel,
// /health answers and a foreign Host is refused, a corrupt database stops startup cleanly.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type MeterEnv, METER_SOURCE, startMeter, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { waitFor } from "../harness/sandbox.ts";
import { MSG_BODY, eventName } from "./_env.ts";

let env: MeterEnv;
let ourSubject = "";

beforeAll(async () => {
  env = await startMeter({ prefix: "hm-daemon-", edge: false });
  ourSubject = (await env.run(["openssl", "x509", "-in", env.ourCaPath, "-noout", "-subject", "-nameopt", "RFC2253"])).stdout.trim().replace(/^subject=/, "");
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

test("a non-intercepted host is tunnelled raw: the client sees the upstream's own certificate", async () => {
  const r = await env.run(["sh", "-c", `openssl s_client -proxy 127.0.0.1:${env.sb.ports.internal} -connect 127.0.0.1:${env.fake.port} -CAfile ${env.certs.caPath} -nameopt RFC2253 </dev/null`]);
  expect(r.stdout).toContain("issuer=CN=fakeca Test CA");
  expect(r.stdout).toContain("Verify return code: 0 (ok)");
  expect(ourSubject.length).toBeGreaterThan(0);
  expect(r.stdout).not.toContain(ourSubject);
});

test("/health returns status, version, pid, uptime", async () => {
  const res = await fetch(`http://127.0.0.1:${env.sb.ports.api}/health`);
  expect(res.status).toBe(200);
  const h = (await res.json()) as Record<string, unknown>;
  expect(h.status).toBe("ok");
  expect(typeof h.version).toBe("string");
  expect(h.pid).toBe(env.daemon.pid);
  expect(Object.keys(h).some((k) => k.startsWith("uptime"))).toBe(true);
});

test("an API request with Host: evil.example is refused with 403", async () => {
  const r = await env.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: evil.example", `http://127.0.0.1:${env.sb.ports.api}/health`]);
  expect(r.stdout).toBe("403");
});

test("a client without our CA fails once, the log names an env var, the same process then gets a raw tunnel", async () => {
  const script = `
const http = require('http'), https = require('https'), fs = require('fs');
const ca = fs.readFileSync(${JSON.stringify(env.certs.caPath)});
const once = () => new Promise((resolve) => {
  const c = http.request({ host: '127.0.0.1', port: ${env.sb.ports.internal}, method: 'CONNECT', path: 'api.anthropic.com:443' });
  c.on('connect', (res0, socket, head0) => {
    if (res0.statusCode !== 200) { let b = ''; socket.on('data', (x) => b += x); socket.on('close', () => resolve('connect ' + res0.statusCode + ' ' + (head0 + b).trim())); socket.on('end', () => resolve('connect ' + res0.statusCode + ' ' + (head0 + b).trim())); return; }
    const r = https.request({ socket, servername: 'api.anthropic.com', host: 'api.anthropic.com', path: '/v1/messages', method: 'POST', ca, agent: false,
      headers: { 'content-length': ${MSG_BODY.length} } }, (res) => {
      const issuer = res.socket.getPeerCertificate().issuer.CN;
      let d = ''; res.on('data', (x) => d += x); res.on('end', () => { socket.destroy(); resolve('ok ' + issuer + ' ' + d.length); });
    });
    r.on('error', (e) => resolve('error ' + e.code));
    r.end(${JSON.stringify(MSG_BODY)});
  });
  c.on('error', (e) => resolve('connect-error ' + e.message));
  c.end();
});
(async () => { console.log(await once()); console.log(await once()); })();`;
  const r = await env.run(["node", "-e", script]);
  const [first, second] = r.stdout.trim().split("\n");
  expect(first).toStartWith("error ");
  expect(second).toStartWith("ok fakeca Test CA ");
  const failed = env.logEvents().find((e) => eventName(e) === "intercept.tls_failed");
  expect(failed).toBeDefined();
  expect(String(failed!.hint)).toContain("NODE_EXTRA_CA_CERTS");
});

test("an upstream whose certificate our ca_file does not trust: the client gets a 502 with a reason", async () => {
  const bad = await startMeter({ prefix: "hm-daemon-", edge: false, fake: { rogue: true } });
  try {
    const r = await bad.run(["curl", "-sS", "-i", "--cacert", bad.ourCaPath, "-x", `http://127.0.0.1:${bad.sb.ports.internal}`, "https://api.anthropic.com/v1/messages", "-d", MSG_BODY]);
    expect(r.stdout).toMatch(/\r\n\r\nHTTP\/1\.1 502 /);
    const body = r.stdout.slice(r.stdout.lastIndexOf("\r\n\r\n") + 4);
    expect(body).toMatch(/certificate|verify|trust/i);
    expect(bad.fake.requests().length).toBe(0);
    // Logged as a TLS failure like the client side's, its side named.
    const line = await waitFor(() => bad.logEvents().find((e) => eventName(e) === "intercept.tls_failed" && e.side === "upstream"), "the upstream's TLS failure in the log");
    expect(line).toMatchObject({ host: "api.anthropic.com", kind: "cert-invalid" });
    expect(String(line.reason)).toStartWith("api.anthropic.com's certificate failed verification: ");
  } finally {
    await bad.stop();
  }
}, STARTUP_HOOK_MS);

test("a corrupt db.sqlite: startup exits non-zero, one line naming the file, no stack, file untouched", async () => {
  const m = await startMeter({ prefix: "hm-corrupt-", fake: false, daemon: false, edge: false });
  const sb = m.sb;
  try {
    m.writeConfig({ upstreamToml: `ca_file = "${m.certs.caPath}"\n` });
    const db = join(sb.meterHome, "db.sqlite");
    writeFileSync(db, Buffer.concat([Buffer.from("this is not a database\n"), Buffer.alloc(8192, 0x5a)]));
    const hash = () => createHash("sha256").update(readFileSync(db)).digest("hex");
    const before = hash();
    const p = sb.spawn([...METER_SOURCE, "daemon"]);
    const [stderr, code] = await Promise.all([new Response(p.stderr as ReadableStream).text(), p.exited]);
    expect(code).not.toBe(0);
    const lines = stderr.trim().split("\n");
    const main = lines.filter((l) => !l.trimStart().startsWith("hint:"));
    expect(main.length).toBe(1);
    expect(main[0]).toContain("db.sqlite");
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(hash()).toBe(before);
  } finally {
    await m.stop();
  }
}, 30_000);
