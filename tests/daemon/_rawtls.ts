// A raw TLS client (run under node, whose tls.connect({socket}) layers TLS over a CONNECT
// tunnel): sends exact bytes in steps and returns exactly what came back.

import type { MeterEnv } from "../harness/meter.ts";

export type Step = { send: string } | { until: string };

const SCRIPT = `
const net = require('net'), tls = require('tls'), fs = require('fs');
const cfg = JSON.parse(process.env.RAW_CFG);
let got = Buffer.alloc(0), waiters = [];
const out = () => { process.stdout.write(got.toString('base64')); process.exit(0); };
function start(sock) {
  const t = tls.connect({ socket: sock, host: cfg.host, port: cfg.connectPort, servername: 'api.anthropic.com', ca: fs.readFileSync(cfg.ca), ALPNProtocols: ['http/1.1'] });
  t.on('data', (d) => { got = Buffer.concat([got, d]); waiters.forEach((w) => w()); });
  t.on('end', out); t.on('close', out);
  t.on('error', (e) => { console.error('tls error: ' + e.message); process.exit(3); });
  t.on('secureConnect', async () => {
    for (const s of cfg.steps) {
      if (s.send !== undefined) t.write(Buffer.from(s.send, 'latin1'));
      else await new Promise((r) => { const chk = () => { if (got.includes(Buffer.from(s.until, 'latin1'))) { r(); return true; } return false; }; if (!chk()) waiters.push(chk); });
      waiters = waiters.filter((w) => !w());
    }
    if (cfg.endAfter) setTimeout(out, 0);
  });
}
const s = net.connect(cfg.port, '127.0.0.1', () => {
  s.setNoDelay(true);
  if (!cfg.proxy) return start(s);
  s.write('CONNECT api.anthropic.com:443 HTTP/1.1\\r\\nHost: api.anthropic.com:443\\r\\n\\r\\n');
  let head = Buffer.alloc(0);
  const onData = (d) => {
    head = Buffer.concat([head, d]);
    const i = head.indexOf('\\r\\n\\r\\n');
    if (i < 0) return;
    s.removeListener('data', onData);
    if (!/^HTTP\\/1\\.[01] 200/.test(head.toString())) { console.error('CONNECT: ' + head.toString()); process.exit(2); }
    start(s);
  };
  s.on('data', onData);
});
setTimeout(() => { console.error('timeout; got ' + JSON.stringify(got.toString('latin1').slice(-300))); process.exit(5); }, 8000);
`;

/** Runs the steps via the proxy on `proxyPort`, or directly to the fake provider when null. */
export async function rawTls(env: MeterEnv, proxyPort: number | null, steps: Step[], opts: { ca?: string; endAfter?: boolean } = {}): Promise<Buffer> {
  const cfg = {
    proxy: proxyPort !== null,
    port: proxyPort ?? env.fake.port,
    host: "api.anthropic.com",
    ca: opts.ca ?? (proxyPort === null ? env.certs.caPath : env.ourCaPath),
    steps,
    endAfter: opts.endAfter ?? false,
  };
  const r = await env.run(["node", "-e", SCRIPT], { env: { RAW_CFG: JSON.stringify(cfg) } });
  if (r.code !== 0) throw new Error(`raw tls client exited ${r.code}: ${r.stderr}`);
  return Buffer.from(r.stdout, "base64");
}
