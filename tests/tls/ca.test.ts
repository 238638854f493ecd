import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import forge from "node-forge";
import { CA_CERT_FILE, CA_KEY_FILE, loadOrCreateCa, TlsError } from "../../core/tls/index.ts";
import { cleanupTempDirs, opensslText, PROVIDER_DOMAINS, tempDir } from "./_helpers.ts";

afterAll(cleanupTempDirs);

const mode = (p: string) => statSync(p).mode & 0o777;
const snapshot = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));

function expectTlsError(fn: () => unknown, kind: TlsError["kind"]): TlsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    const err = e as TlsError;
    expect(err.kind).toBe(kind);
    expect(err.message.length).toBeGreaterThan(10);
    expect(err.hint.length).toBeGreaterThan(10);
    return err;
  }
  throw new Error(`expected a TlsError ${kind}`);
}

/** Extensions straight from the DER (node:crypto's X509Certificate has no extension accessor). */
function extensionsOf(der: Buffer): { oid: string; critical: boolean; value: string }[] {
  const cert = forge.asn1.fromDer(der.toString("binary"));
  const tbs = (cert.value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[];
  const wrapper = tbs.find((n) => n.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && n.type === 3)!;
  const list = (wrapper.value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[];
  return list.map((ext) => {
    const parts = ext.value as forge.asn1.Asn1[];
    const critical = parts.length === 3 && parts[1]!.value === "\xff";
    return { oid: forge.asn1.derToOid(parts[0]!.value as string), critical, value: parts.at(-1)!.value as string };
  });
}

describe("loadOrCreateCa", () => {
  test("creates the CA with private permissions, written atomically", () => {
    const dir = join(tempDir(), "home", "ca");
    const t0 = performance.now();
    const ca = loadOrCreateCa(dir, { permittedDomains: PROVIDER_DOMAINS });
    console.log(`CA generation: ${(performance.now() - t0).toFixed(1)} ms`);
    expect(ca.created).toBe(true);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, CA_KEY_FILE))).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual([CA_KEY_FILE, CA_CERT_FILE].sort()); // no temp files left
    expect(ca.certPem).toBe(readFileSync(join(dir, CA_CERT_FILE), "utf8"));
    expect(ca.permittedDomains).toEqual(PROVIDER_DOMAINS);
    expect(ca.uncoveredDomains).toEqual([]);
    const years = (ca.notAfter.getTime() - Date.now()) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
  });

  test("tightens an existing directory to 0700", () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    loadOrCreateCa(dir, { permittedDomains: ["anthropic.com"] });
    expect(mode(dir)).toBe(0o700);
  });

  test("reloads the same CA on a second call, never regenerates it", () => {
    const dir = tempDir();
    const first = loadOrCreateCa(dir, { permittedDomains: PROVIDER_DOMAINS });
    const before = snapshot(dir);
    const second = loadOrCreateCa(dir, { permittedDomains: PROVIDER_DOMAINS });
    expect(second.created).toBe(false);
    expect(second.fingerprint256).toBe(first.fingerprint256);
    expect(second.certPem).toBe(first.certPem);
    expect(snapshot(dir)).toEqual(before);
  });

  test("reports domains added after the CA was made, without regenerating", () => {
    const dir = tempDir();
    const first = loadOrCreateCa(dir, { permittedDomains: ["anthropic.com"] });
    const again = loadOrCreateCa(dir, { permittedDomains: ["anthropic.com", "x.ai"] });
    expect(again.fingerprint256).toBe(first.fingerprint256);
    expect(again.permittedDomains).toEqual(["anthropic.com"]);
    expect(again.uncoveredDomains).toEqual(["x.ai"]);
  });

  test("key missing: typed error, files untouched", () => {
    const dir = tempDir();
    loadOrCreateCa(dir, { permittedDomains: PROVIDER_DOMAINS });
    rmSync(join(dir, CA_KEY_FILE));
    const before = snapshot(dir);
    const err = expectTlsError(() => loadOrCreateCa(dir, { permittedDomains: PROVIDER_DOMAINS }), "ca-key-missing");
    expect(err.message).toContain(CA_KEY_FILE);
    expect(snapshot(dir)).toEqual(before);
    expect(existsSync(join(dir, CA_KEY_FILE))).toBe(false);
  });

  test("cert missing but key present: typed error, key untouched", () => {
    const dir = tempDir();
    loadOrCreateCa(dir, { permittedDomains: PROVIDER_DOMAINS });
    rmSync(join(dir, CA_CERT_FILE));
    const before = snapshot(dir);
    expectTlsError(() => loadOrCreateCa(dir, { permittedDomains: PROVIDER_DOMAINS }), "ca-cert-missing");
    expect(snapshot(dir)).toEqual(before);
  });

  test("key from another install: ca-mismatch, files untouched", () => {
    const a = tempDir();
    const b = tempDir();
    loadOrCreateCa(a, { permittedDomains: PROVIDER_DOMAINS });
    loadOrCreateCa(b, { permittedDomains: PROVIDER_DOMAINS });
    writeFileSync(join(a, CA_KEY_FILE), readFileSync(join(b, CA_KEY_FILE)));
    const before = snapshot(a);
    expectTlsError(() => loadOrCreateCa(a, { permittedDomains: PROVIDER_DOMAINS }), "ca-mismatch");
    expect(snapshot(a)).toEqual(before);
  });

  test("garbage in a CA file: ca-unreadable, files untouched", () => {
    const dir = tempDir();
    loadOrCreateCa(dir, { permittedDomains: PROVIDER_DOMAINS });
    writeFileSync(join(dir, CA_KEY_FILE), "not a key\n", { mode: 0o600 });
    const before = snapshot(dir);
    expectTlsError(() => loadOrCreateCa(dir, { permittedDomains: PROVIDER_DOMAINS }), "ca-unreadable");
    expect(snapshot(dir)).toEqual(before);
    writeFileSync(join(dir, CA_CERT_FILE), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    expectTlsError(() => loadOrCreateCa(dir, { permittedDomains: PROVIDER_DOMAINS }), "ca-unreadable");
  });

  test("refuses an empty or malformed domain list", () => {
    expectTlsError(() => loadOrCreateCa(tempDir(), { permittedDomains: [] }), "invalid-host");
    expectTlsError(() => loadOrCreateCa(tempDir(), { permittedDomains: ["not a domain"] }), "invalid-host");
  });

  test("honours an injected clock", () => {
    const now = new Date("2030-01-02T03:04:05Z");
    const ca = loadOrCreateCa(tempDir(), { permittedDomains: ["x.ai"], now: () => now });
    expect(ca.notAfter.toISOString()).toBe("2039-12-31T03:04:05.000Z");
  });
});

describe("CA certificate contents", () => {
  const dir = tempDir();
  const ca = loadOrCreateCa(dir, { permittedDomains: PROVIDER_DOMAINS });

  test("openssl sees a critical nameConstraints with every permitted domain", async () => {
    const text = await opensslText(ca.certPath);
    expect(text).toContain("Subject: CN = Halton Meter Local CA, O = Halton Meter, OU = install ");
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toContain("X509v3 Subject Key Identifier");
    expect(text).toContain("X509v3 Name Constraints: critical");
    const permitted = text.slice(text.indexOf("Permitted:"), text.indexOf("Excluded:"));
    expect([...permitted.matchAll(/DNS:(\S+)/g)].map((m) => m[1])).toEqual(PROVIDER_DOMAINS);
    expect(text).toContain("IP:0.0.0.0/0.0.0.0");
    expect(text).toContain("Signature Algorithm: sha256WithRSAEncryption");
  });

  test("node:crypto X509Certificate parses it as a CA with a critical 2.5.29.30 extension", () => {
    const x = new X509Certificate(ca.certPem);
    expect(x.ca).toBe(true);
    expect(x.fingerprint256).toBe(ca.fingerprint256);
    expect(x.subject).toContain("CN=Halton Meter Local CA");
    expect(x.verify(x.publicKey)).toBe(true); // self-signed, signature valid
    const nc = extensionsOf(x.raw).find((e) => e.oid === "2.5.29.30");
    expect(nc?.critical).toBe(true);
    for (const d of PROVIDER_DOMAINS) expect(nc!.value).toContain(d);
  });

  test("two installs get distinct subjects and serials", () => {
    const other = loadOrCreateCa(tempDir(), { permittedDomains: PROVIDER_DOMAINS });
    const a = new X509Certificate(ca.certPem);
    const b = new X509Certificate(other.certPem);
    expect(a.subject).not.toBe(b.subject);
    expect(a.serialNumber).not.toBe(b.serialNumber);
  });
});
