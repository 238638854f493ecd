/**
 * Proves the Bun 1.4.4 server-side TLS recipe the daemon is built on: accept a plain TCP
 * socket with Bun.listen, upgrade it with `upgradeTLS({ isServer: true, ... })`, and pick
 * the certificate per SNI name through the undocumented `serverName` handler. If a Bun
 * upgrade breaks this, this file fails first.
 */
import { afterAll, describe, expect, test } from "bun:test";
import {
  ALPN_HTTP1_ONLY,
  createLeafIssuer,
  loadOrCreateCa,
  sniHandler,
  upgradeToServerTls,
  type ServerTlsHandlers,
  type TlsError,
} from "../../core/tls/index.ts";
import { cleanupTempDirs, PROVIDER_DOMAINS, run, tempDir } from "./_helpers.ts";

const ca = loadOrCreateCa(tempDir(), { permittedDomains: PROVIDER_DOMAINS });
const issuer = createLeafIssuer(ca);
const listeners: Bun.TCPSocketListener<undefined>[] = [];

afterAll(() => {
  for (const l of listeners) l.stop(true);
  cleanupTempDirs();
});

interface Seen {
  cipherBytes: number;
  plaintext: string[];
  alpn: (string | false | null)[];
}

/** A minimal MITM-shaped server: TCP accept, then TLS on the same socket, answering one request. */
function startServer(tls: Bun.TLSOptions, serverName: ServerTlsHandlers<undefined>["serverName"]): { port: number; seen: Seen } {
  const seen: Seen = { cipherBytes: 0, plaintext: [], alpn: [] };
  const handlers: ServerTlsHandlers<undefined> = {
    serverName,
    handshake(socket) {
      seen.alpn.push(socket.alpnProtocol);
    },
    data(socket, chunk) {
      seen.plaintext.push(Buffer.from(chunk).toString("latin1"));
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
      socket.end();
    },
  };
  const listener = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(raw) {
        upgradeToServerTls(raw, { tls, socket: handlers });
      },
      // After the upgrade this handler still sees the ciphertext: a relay must ignore it here.
      data(_raw, chunk) {
        seen.cipherBytes += chunk.length;
      },
    },
  });
  listeners.push(listener);
  return { port: listener.port, seen };
}

/** curl with strict verification against our CA only; returns what it saw of the server certificate. */
async function curlSni(host: string, port: number) {
  const url = host === "127.0.0.1" ? `https://127.0.0.1:${port}/` : `https://${host}:${port}/`;
  const r = await run(["curl", "-sv", "--max-time", "10", "--cacert", ca.certPath, "--resolve", `${host}:${port}:127.0.0.1`, url]);
  return {
    code: r.code,
    body: r.stdout,
    subject: /subject: (.*)/.exec(r.stderr)?.[1]?.trim(),
    alpn: /ALPN: server accepted (\S+)/.exec(r.stderr)?.[1],
    stderr: r.stderr,
  };
}

describe("Bun.listen + upgradeTLS({ isServer: true }) with a per-SNI certificate", () => {
  test("each SNI name receives its own leaf, verified by curl against our CA", async () => {
    const names: string[] = [];
    const { port, seen } = startServer({ ALPNProtocols: ALPN_HTTP1_ONLY }, (_server, name) => {
      names.push(name);
      return issuer.secureContextFor(name).context;
    });
    for (const host of ["api.anthropic.com", "api.openai.com"]) {
      const r = await curlSni(host, port);
      expect({ code: r.code, body: r.body, subject: r.subject, alpn: r.alpn }).toEqual({ code: 0, body: "ok", subject: `CN=${host}`, alpn: "http/1.1" });
    }
    expect(names).toEqual(["api.anthropic.com", "api.openai.com"]);
    expect(seen.alpn).toEqual(["http/1.1", "http/1.1"]);
    expect(seen.plaintext.every((p) => p.startsWith("GET / HTTP/1.1\r\n"))).toBe(true);
    expect(seen.cipherBytes).toBeGreaterThan(0);
  });

  test("sniHandler: permitted hosts get leaves, refused hosts abort the handshake", async () => {
    const refused: [string, TlsError["kind"]][] = [];
    const { port } = startServer({ ALPNProtocols: ALPN_HTTP1_ONLY }, sniHandler(issuer, (name, e) => refused.push([name, e.kind])));
    const ok = await curlSni("chatgpt.com", port);
    expect([ok.code, ok.subject]).toEqual([0, "CN=chatgpt.com"]);
    const bad = await curlSni("example.com", port);
    expect(bad.code).not.toBe(0);
    expect(bad.subject).toBeUndefined(); // no certificate was ever sent
    expect(refused).toEqual([["example.com", "host-not-permitted"]]);
  });

  test("undefined falls back to the default tls.cert; no SNI never calls the handler", async () => {
    const fallback = issuer.issue("default.x.ai");
    const names: string[] = [];
    const { port } = startServer({ cert: fallback.certPem, key: fallback.keyPem, ALPNProtocols: ALPN_HTTP1_ONLY }, (_s, name) => {
      names.push(name);
      return name === "api.x.ai" ? issuer.secureContextFor(name).context : undefined;
    });
    expect((await curlSni("api.x.ai", port)).subject).toBe("CN=api.x.ai");
    const other = await curlSni("console.x.ai", port);
    expect(other.subject).toBe("CN=default.x.ai"); // default served; curl then rejects the name
    expect(other.code).toBe(60);
    const noSni = await curlSni("127.0.0.1", port); // curl sends no SNI for an IP literal
    expect(noSni.subject).toBe("CN=default.x.ai");
    expect(names).toEqual(["api.x.ai", "console.x.ai"]);
  });

  test("asynchronous selection: return true, then handle.resumeSNI(context, false)", async () => {
    const { port } = startServer({ ALPNProtocols: ALPN_HTTP1_ONLY }, (_s, name, handle) => {
      queueMicrotask(() => handle.resumeSNI(issuer.secureContextFor(name).context, false));
      return true;
    });
    const r = await curlSni("generativelanguage.googleapis.com", port);
    expect([r.code, r.subject, r.body]).toEqual([0, "CN=generativelanguage.googleapis.com", "ok"]);
  });

  test("a plain-string ALPNProtocols is read as wire format: no protocol matches", async () => {
    const { port } = startServer({ ALPNProtocols: "http/1.1" }, sniHandler(issuer));
    const r = await curlSni("api.anthropic.com", port);
    expect(r.code).toBe(35);
    expect(r.stderr).toContain("no application protocol");
  });
});
