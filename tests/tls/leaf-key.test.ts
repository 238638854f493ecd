import { afterAll, expect, test } from "bun:test";
import { createPrivateKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLeafIssuer, loadOrCreateCa, loadOrCreateLeafKeys } from "../../core/tls/index.ts";

// The shared leaf key is made once and kept (0600), so a daemon start does not pay for RSA
// key generation; anything in its place that is not an RSA key is replaced.

const dir = mkdtempSync(join(tmpdir(), "hm-leafkey-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("made once with mode 0600, then the same key comes back", () => {
  const path = join(dir, "leaf-key.pem");
  const first = loadOrCreateLeafKeys(path);
  expect(first.created).toBe(true);
  expect(statSync(path).mode & 0o777).toBe(0o600);
  const again = loadOrCreateLeafKeys(path);
  expect(again.created).toBe(false);
  expect(again.keys.keyPem).toBe(first.keys.keyPem);
  expect(readFileSync(path, "utf8")).toBe(first.keys.keyPem);
});

test("leaves issued with the stored key carry its public key", () => {
  const home = join(dir, "home");
  const ca = loadOrCreateCa(home, { permittedDomains: ["api.anthropic.com"] });
  const { keys } = loadOrCreateLeafKeys(join(home, "leaf-key.pem"));
  const leaf = createLeafIssuer(ca, { keys }).issue("api.anthropic.com");
  const cert = new X509Certificate(leaf.certPem);
  expect(cert.checkPrivateKey(createPrivateKey(keys.keyPem))).toBe(true);
  expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
});

test("garbage or a non-RSA key in its place is replaced by a fresh RSA key", () => {
  for (const [name, content] of [
    ["garbage", "not a key at all\n"],
    ["ec", generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string],
  ] as const) {
    const path = join(dir, `${name}.pem`);
    writeFileSync(path, content);
    const r = loadOrCreateLeafKeys(path);
    expect(r.created).toBe(true);
    expect(readFileSync(path, "utf8")).toContain("BEGIN PRIVATE KEY");
    expect(loadOrCreateLeafKeys(path).created).toBe(false);
  }
});
