import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TCPSocketListener } from "bun";
import type { Connector } from "../../core/proxy/connect.ts";
import { classify, Dialer } from "../../core/proxy/dialer.ts";
import { idleEvents } from "../../core/proxy/sockets.ts";
import { TlsDialer } from "../../core/proxy/tls-dialer.ts";
import { makeTestCerts, type TestCerts } from "../harness/certs.ts";
import { freePort, waitFor } from "../harness/sandbox.ts";

// The one dialer both processes use: every way a dial fails comes back as one classified
// failure with a sentence, through real loopback sockets (the resolver's and a hung network's
// answers injected through the connector).

let dir: string;
let certs: TestCerts;
const servers: TCPSocketListener<unknown>[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hm-dialer-"));
  certs = await makeTestCerts(dir);
});

afterAll(() => {
  for (const s of servers) s.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** A TLS server on loopback with `cert`, answering "hi" to anything. */
function tlsServer(cert: string, key: string): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, tls: { cert, key }, socket: { data: (sock) => void sock.write("hi") } });
  servers.push(s);
  return s.port;
}

/** A plain TCP server that closes every connection at once. */
function closer(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: (sock) => void sock.end(), data: () => {} } });
  servers.push(s);
  return s.port;
}

const HOST = "api.anthropic.com";

describe("classify", () => {
  test.each([
    ["ENOTFOUND", "dns", `cannot resolve host ${HOST}:443 (ENOTFOUND)`],
    ["EAI_AGAIN", "dns", `cannot resolve host ${HOST}:443 (EAI_AGAIN)`],
    ["ECONNREFUSED", "refused", `connection refused by ${HOST}:443 (ECONNREFUSED)`],
    ["timeout", "timeout", `timed out connecting to ${HOST}:443 (timeout)`],
    ["EHOSTUNREACH", "unreachable", `cannot reach ${HOST}:443 (EHOSTUNREACH)`],
    ["client-gone", "client-gone", `the client left before ${HOST}:443 answered`],
  ])("%s is %s", (code, kind, reason) => {
    expect(classify(code, HOST, 443)).toEqual({ ok: false, kind: kind as never, reason });
  });

  test("a proxy's refusal keeps the proxy's own words", () => {
    expect(classify("EPROXY", HOST, 443, "upstream proxy corp:3128 refused CONNECT api.anthropic.com:443 (403)").reason).toBe(
      "upstream proxy corp:3128 refused CONNECT api.anthropic.com:443 (403) (for api.anthropic.com:443)",
    );
  });
});

describe("tcp", () => {
  test("a mapped host ([upstream] resolve) is dialled at its address; a closed port is refused", async () => {
    const closed = freePort();
    const got = await new Dialer({ resolve: { [HOST]: `127.0.0.1:${closed}` }, connectTimeoutMs: 2000 }).tcp(HOST, 443);
    expect(got).toEqual({ ok: false, kind: "refused", reason: `connection refused by ${HOST}:443 (ECONNREFUSED)` });
  });

  test("a network that never answers is a timeout within the connect timeout", async () => {
    const hung: Connector = () => new Promise(() => {});
    const started = performance.now();
    const got = await new Dialer({ connector: hung, connectTimeoutMs: 100 }).tcp(HOST, 443);
    expect(got.ok ? null : got.kind).toBe("timeout");
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test("local() dials our own port on loopback, ignoring the resolve table and the proxy", async () => {
    const port = tlsServer(certs.cert, certs.key);
    const dialer = new Dialer({ resolve: { "127.0.0.1": "127.0.0.1:1" }, proxy: `http://127.0.0.1:${freePort()}`, connectTimeoutMs: 2000 });
    const got = await dialer.local(port);
    expect(got.ok).toBe(true);
    if (got.ok) got.socket.terminate();
  });
});

describe("tls", () => {
  const tlsTo = (port: number, caFile?: string) => new TlsDialer(new Dialer({ resolve: { [HOST]: `127.0.0.1:${port}` }, connectTimeoutMs: 2000 }), caFile);

  test("a server our extra CA signed: verified, and the socket carries the caller's events", async () => {
    const port = tlsServer(certs.cert, certs.key);
    let heard = "";
    const events = { ...idleEvents(), data: (d: Buffer) => void (heard += d.toString()) };
    const got = await tlsTo(port, certs.caPath).dial(HOST, 443, events);
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    got.socket.write("hello");
    expect(await waitFor(() => heard || null, "the server's answer")).toBe("hi");
    got.socket.terminate();
  });

  test("a certificate from a CA nobody trusts is tls-verify, naming the host", async () => {
    const port = tlsServer(certs.rogueCert, certs.rogueKey);
    const got = await tlsTo(port, certs.caPath).dial(HOST, 443, idleEvents());
    expect(got.ok ? null : got.kind).toBe("tls-verify");
    if (!got.ok) expect(got.reason).toStartWith(`${HOST}'s certificate failed verification: `);
  });

  test("a server that closes during the handshake is a tls failure; a closed port is refused", async () => {
    const closing = await tlsTo(closer()).dial(HOST, 443, idleEvents());
    expect(closing.ok ? null : closing.kind).toBe("tls");
    const refused = await tlsTo(freePort()).dial(HOST, 443, idleEvents());
    expect(refused.ok ? null : refused.kind).toBe("refused");
  });
});
