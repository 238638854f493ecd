// The TLS bypass is for clients that refuse our certificate, and only them. Real clients refuse
// it in two ways (curl and Python with an unknown_ca alert, Node by closing right after our
// certificate); a reset, a late close or half a ClientHello is a client going away (a timeout too:
// robustness.test.ts),
// and must not cost that process its metering. Bypasses show in /health, `status` and `doctor`,
// and a daemon restart clears them.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type MeterEnv, METER_SOURCE, startMeter, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { waitFor } from "../harness/sandbox.ts";
import { eventName, MSG_BODY } from "./_env.ts";

let env: MeterEnv;
beforeAll(async () => {
  env = await startMeter({ prefix: "hm-daemon-", edge: false });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

type Bypass = { process: string; host: string; until: string; reason: string };
const bypasses = async (): Promise<Bypass[]> => ((await (await fetch(`http://127.0.0.1:${env.sb.ports.api}/health`)).json()) as { tls_bypass: Bypass[] }).tls_bypass;
const failures = () => env.logEvents().filter((e) => eventName(e) === "intercept.tls_failed");
const internal = () => `http://127.0.0.1:${env.sb.ports.internal}`;

/** Runs a client that trusts only the system roots (not our CA); its pid and output. */
async function distrusting(argv: string[]): Promise<{ pid: number; code: number; out: string }> {
  const p = Bun.spawn(argv, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: env.sb.home }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { pid: p.pid, code, out: out + err };
}

// One Python process: three handshakes it abandons (a reset once a whole ClientHello is answered, a close
// 1.3 s after one, a close halfway through one), then five real requests trusting our CA.
const ABANDONER = `
import socket, ssl, struct, sys, time, http.client
proxy_port, ca, body = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def hello():
    out = ssl.MemoryBIO()
    obj = ssl.create_default_context().wrap_bio(ssl.MemoryBIO(), out, server_hostname="api.anthropic.com")
    try: obj.do_handshake()
    except ssl.SSLWantReadError: pass
    return out.read()
def tunnel():
    s = socket.create_connection(("127.0.0.1", proxy_port))
    s.sendall(b"CONNECT api.anthropic.com:443 HTTP/1.1\\r\\nHost: api.anthropic.com:443\\r\\n\\r\\n")
    got = b""
    while b"\\r\\n\\r\\n" not in got: got += s.recv(4096)
    return s
def wait_close(s):
    s.settimeout(5)
    try:
        while s.recv(65536): pass
    except Exception: pass
s = tunnel(); s.sendall(hello()); s.recv(1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); s.close()
s = tunnel(); s.sendall(hello()); time.sleep(1.3); s.shutdown(socket.SHUT_WR); wait_close(s); s.close()
h = hello(); s = tunnel(); s.sendall(h[: len(h) // 2]); s.shutdown(socket.SHUT_WR); wait_close(s); s.close()
ctx = ssl.create_default_context(cafile=ca)
for i in range(5):
    c = http.client.HTTPSConnection("127.0.0.1", proxy_port, context=ctx, timeout=10)
    c.set_tunnel("api.anthropic.com", 443)
    c.request("POST", "/v1/messages", body=body, headers={"User-Agent": "tls/abandoner", "content-type": "application/json"})
    r = c.getresponse(); r.read()
    print(r.status, flush=True)
    c.close()
`;

describe("what puts a process on the TLS bypass", () => {
  test("curl without our CA: its unknown_ca alert is a refusal; the process and host are listed", async () => {
    const r = await distrusting(["curl", "-sS", "-x", internal(), "https://api.anthropic.com/v1/messages", "-d", MSG_BODY]);
    expect(r.code).toBe(60);
    const f = await waitFor(() => failures().find((e) => e.kind === "cert-rejected"), "curl's refusal");
    expect(String(f.reason)).toContain("alert unknown_ca");
    expect(String(f.hint)).toContain("CURL_CA_BUNDLE");
    const entry = await waitFor(async () => (await bypasses()).find((b) => b.process === `pid ${r.pid}`), "curl's bypass");
    expect(entry).toEqual(expect.objectContaining({ host: "api.anthropic.com", reason: "cert-rejected" }));
  });

  test("Python without our CA: the same alert, the same verdict", async () => {
    const r = await distrusting(["python3", "-c", `import urllib.request as u; u.build_opener(u.ProxyHandler({"https": "${internal()}"})).open("https://api.anthropic.com/v1/messages", data=b"{}")`]);
    expect(r.out).toContain("CERTIFICATE_VERIFY_FAILED");
    const entry = await waitFor(async () => (await bypasses()).find((b) => b.process === `pid ${r.pid}`), "python's bypass");
    expect(entry.reason).toBe("cert-rejected");
  });

  test("Node without our CA sends no alert: it closes right after our certificate, and that is a refusal too", async () => {
    const viaConnect = `
const net = require("net"), tls = require("tls");
const raw = net.connect(${env.sb.ports.internal}, "127.0.0.1", () => raw.write("CONNECT api.anthropic.com:443 HTTP/1.1\\r\\n\\r\\n"));
raw.once("data", () => { const t = tls.connect({ socket: raw, servername: "api.anthropic.com" }); t.on("error", (e) => { console.log(e.code); process.exit(0); }); });`;
    const r = await distrusting(["node", "-e", viaConnect]);
    expect(r.out.trim()).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    const entry = await waitFor(async () => (await bypasses()).find((b) => b.process === `pid ${r.pid}`), "node's bypass");
    expect(entry.reason).toBe("closed-on-certificate");
    expect(failures().some((e) => e.kind === "closed-on-certificate" && String(e.hint).includes("NODE_EXTRA_CA_CERTS"))).toBe(true);
  });

  test("a reset, a late close and half a ClientHello are a client going away: no bypass, and the same process's next five requests each get a row", async () => {
    const before = failures().length;
    const p = Bun.spawn(["python3", "-c", ABANDONER, String(env.sb.ports.internal), env.ourCaPath, MSG_BODY], { stdout: "pipe", stderr: "pipe", stdin: "ignore", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect([code, err]).toEqual([0, ""]);
    expect(out.trim().split("\n")).toEqual(["200", "200", "200", "200", "200"]);
    const rows = await env.waitRows(5, (r) => r.user_agent === "tls/abandoner");
    expect(rows.every((r) => r.metered === 1 && r.pid === p.pid)).toBe(true);
    const mine = failures().slice(before);
    expect(mine.map((e) => e.kind)).toEqual(["reset", "abandoned", "closed-early"]);
    expect(mine.every((e) => e.bypass_minutes === undefined)).toBe(true);
    expect((await bypasses()).some((b) => b.process === `pid ${p.pid}`)).toBe(false);
  }, 30_000);

  test("status and doctor list the bypassed processes; a daemon restart clears them", async () => {
    expect((await bypasses()).length).toBeGreaterThanOrEqual(3);
    const cli = (args: string[]) => env.run([...METER_SOURCE, ...args]);
    const status = await cli(["status"]);
    expect(status.stdout).toMatch(/tls bypass\s+pid \d+ for api\.anthropic\.com: refused our certificate \(cert-rejected\)/);
    const doctor = await cli(["doctor", "--json"]);
    const finding = (JSON.parse(doctor.stdout) as { checks: Array<{ name: string; status: string; detail: string }> }).checks.find((f) => f.name === "tls-bypass");
    expect(finding?.status).toBe("warn");
    expect(finding?.detail).toContain("refused our certificate and are tunnelled raw, unmetered");
    await env.restartDaemon();
    expect(await bypasses()).toEqual([]);
  }, STARTUP_HOOK_MS);

  test("a ClientHello sent with the CONNECT (before our 200) cannot reach our TLS layer: the connection goes raw, bytes intact", async () => {
    // The client pipelines its hello, then finishes the handshake with whoever answers it.
    const py = `
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
o = ssl.create_default_context(cafile=ca).wrap_bio(inc, out, server_hostname="api.anthropic.com")
try: o.do_handshake()
except ssl.SSLWantReadError: pass
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"CONNECT api.anthropic.com:443 HTTP/1.1\\r\\n\\r\\n" + out.read())
got = b""
while b"\\r\\n\\r\\n" not in got: got += s.recv(65536)
status, rest = got.split(b"\\r\\n\\r\\n", 1)
inc.write(rest)
while True:
    try:
        o.do_handshake(); break
    except ssl.SSLWantReadError:
        s.sendall(out.read()); inc.write(s.recv(65536))
s.sendall(out.read())
print(status.decode().split("\\r\\n")[0], "|", dict(x[0] for x in o.getpeercert()["issuer"])["commonName"])
`;
    const p = Bun.spawn(["python3", "-c", py, String(env.sb.ports.internal), env.certs.caPath], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect([code, err]).toEqual([0, ""]);
    expect(out.trim()).toBe("HTTP/1.1 200 Connection Established | fakeca Test CA");
    expect(env.logEvents().some((e) => eventName(e) === "intercept.pipelined_hello")).toBe(true);
  }, 20_000);
});
