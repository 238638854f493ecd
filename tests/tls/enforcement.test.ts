/**
 * The proof that nameConstraints are enforced by the clients that matter: a leaf our CA signs
 * for a permitted host is accepted, one for any other host is rejected, and a CA built
 * WITHOUT the constraints lets that same other host through (so the constraint is the cause).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPrivateKey } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import forge from "node-forge";
import { buildCaCert } from "../../core/tls/_ca-cert.ts";
import { buildLeafCert, generateLeafKeys, type IssuerCa } from "../../core/tls/_leaf-cert.ts";
import { signCertificate } from "../../core/tls/_x509.ts";
import { loadOrCreateCa } from "../../core/tls/index.ts";
import { CLIENTS, curlClient, opensslVerify } from "./_clients.ts";
import { cleanupTempDirs, PROVIDER_DOMAINS, tempDir } from "./_helpers.ts";

const keys = generateLeafKeys();
const servers: { stop(force?: boolean): void }[] = [];

afterAll(() => {
  for (const s of servers) s.stop(true);
  cleanupTempDirs();
});

interface Fixture {
  caPath: string;
  issuer: IssuerCa;
}

function constrainedCa(): Fixture {
  const ca = loadOrCreateCa(tempDir(), { permittedDomains: PROVIDER_DOMAINS });
  return { caPath: ca.certPath, issuer: ca };
}

function unconstrainedCa(): Fixture {
  const dir = tempDir();
  const { certPem, keyPem } = buildCaCert({ permittedDomains: null, now: new Date() });
  const caPath = join(dir, "ca.pem");
  writeFileSync(caPath, certPem);
  return { caPath, issuer: { cert: forge.pki.certificateFromPem(certPem), key: createPrivateKey(keyPem) } };
}

/** Serve `certPem` on 127.0.0.1 (whatever the SNI) and write it to a file for openssl verify. */
function serveLeaf(certPem: string): { port: number; leafPath: string } {
  const leafPath = join(tempDir(), "leaf.pem");
  writeFileSync(leafPath, certPem);
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, tls: { cert: certPem, key: keys.keyPem }, fetch: () => new Response("ok") });
  servers.push(server);
  return { port: server.port!, leafPath };
}

const CASES = [
  { ca: "constrained", host: "api.anthropic.com", expectOk: true },
  { ca: "constrained", host: "generativelanguage.googleapis.com", expectOk: true },
  { ca: "constrained", host: "example.com", expectOk: false },
  { ca: "constrained", host: "evilanthropic.com", expectOk: false },
  { ca: "unconstrained", host: "api.anthropic.com", expectOk: true },
  { ca: "unconstrained", host: "example.com", expectOk: true }, // the control: constraints are what stop it
] as const;

const fixtures: Record<string, Fixture> = {};
beforeAll(() => {
  fixtures.constrained = constrainedCa();
  fixtures.unconstrained = unconstrainedCa();
});

for (const c of CASES) {
  describe(`${c.ca} CA, leaf for ${c.host}`, () => {
    let target: { host: string; port: number; caPath: string; leafPath: string };
    beforeAll(() => {
      const fx = fixtures[c.ca]!;
      const { certPem } = buildLeafCert(fx.issuer, c.host, keys, new Date());
      target = { host: c.host, caPath: fx.caPath, ...serveLeaf(certPem) };
    });

    for (const [name, client] of Object.entries(CLIENTS)) {
      test(`${name} ${c.expectOk ? "accepts" : "rejects"} it`, async () => {
        const v = await client(target);
        expect(v.ok).toBe(c.expectOk);
        // Rejected for the right reason, not a refused connection or a name mismatch.
        if (!c.expectOk) expect(v.detail).toContain("permitted subtree violation");
      });
    }

    test(`openssl verify ${c.expectOk ? "accepts" : "rejects"} it`, async () => {
      const v = await opensslVerify(target.caPath, target.leafPath);
      expect(v.ok).toBe(c.expectOk);
      if (!c.expectOk) expect(v.detail).toContain("permitted subtree violation");
    });
  });
}

describe("IP literals are excluded too", () => {
  /** A leaf with an iPAddress SAN: a stolen constrained CA must not vouch for an IP either. */
  function ipLeaf(fx: Fixture): string {
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = "01";
    cert.validity.notBefore = new Date(Date.now() - 86_400_000);
    cert.validity.notAfter = new Date(Date.now() + 30 * 86_400_000);
    cert.setSubject([{ name: "commonName", value: "127.0.0.1" }]);
    cert.setIssuer(fx.issuer.cert.subject.attributes);
    cert.setExtensions([{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }]);
    return signCertificate(cert, fx.issuer.key);
  }

  test("constrained CA: curl and openssl reject an IP SAN; unconstrained CA: accepted", async () => {
    for (const [kind, expectOk] of [["constrained", false], ["unconstrained", true]] as const) {
      const fx = fixtures[kind]!;
      const { port, leafPath } = serveLeaf(ipLeaf(fx));
      const v = await opensslVerify(fx.caPath, leafPath);
      expect(v.ok).toBe(expectOk);
      if (!expectOk) expect(v.detail).toContain("excluded subtree violation");
      const r = await curlClient({ host: "127.0.0.1", port, caPath: fx.caPath });
      expect(r.ok).toBe(expectOk);
    }
  });
});
