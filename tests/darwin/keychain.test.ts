// CA trust in the login keychain, against a recording fake of `security`.

import { afterAll, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_INTERCEPT_DOMAINS } from "../../core/config/schema.ts";
import { loadOrCreateCa } from "../../core/tls/index.ts";
import { createKeychain } from "../../platform/darwin/keychain.ts";
import { makeDarwinSandbox } from "./_fakes.ts";

const sb = makeDarwinSandbox();
afterAll(() => sb.cleanup());

const ca = loadOrCreateCa(sb.meterHome, { permittedDomains: DEFAULT_INTERCEPT_DOMAINS });
const login = join(sb.home, "Library", "Keychains", "login.keychain-db");
const sha1 = new X509Certificate(readFileSync(ca.certPath)).fingerprint.replace(/:/g, "");
const keychain = createKeychain({ userHome: sb.home, run: sb.run });

test("trust adds our CA as a trusted root in the login keychain, once", async () => {
  expect(await keychain.holds(ca.certPath)).toBe(false);
  expect(await keychain.trust(ca.certPath)).toBe("added");
  expect(sb.lines("security")).toContain(`add-trusted-cert -r trustRoot -k ${login} ${ca.certPath}`);
  expect(await keychain.holds(ca.certPath)).toBe(true);
  sb.clearCalls();
  expect(await keychain.trust(ca.certPath)).toBe("already");
  expect(sb.lines("security").some((l) => l.startsWith("add-trusted-cert"))).toBe(false);
});

test("untrust removes the trust setting, then the certificate by its SHA-1", async () => {
  sb.clearCalls();
  expect(await keychain.untrust(ca.certPath)).toBe("removed");
  const lines = sb.lines("security");
  expect(lines.slice(1)).toEqual([`remove-trusted-cert ${ca.certPath}`, `delete-certificate -Z ${sha1} ${login}`]);
  expect(await keychain.holds(ca.certPath)).toBe(false);
  expect(await keychain.untrust(ca.certPath)).toBe("absent");
});

test("another certificate with our name is not taken for ours", async () => {
  const other = loadOrCreateCa(join(sb.root, "other-ca"), { permittedDomains: DEFAULT_INTERCEPT_DOMAINS });
  await keychain.trust(other.certPath);
  expect(await keychain.holds(ca.certPath)).toBe(false);
  expect(await keychain.untrust(ca.certPath)).toBe("absent");
  expect(await keychain.holds(other.certPath)).toBe(true);
});

test("without `security` trust fails with a hint instead of pretending", async () => {
  const bare = createKeychain({ userHome: sb.home, run: (argv) => sb.run(argv, { env: { PATH: "/nonexistent" } }) });
  const err = await bare.trust(ca.certPath).catch((e: Error & { hint?: string }) => e);
  expect((err as Error).message).toContain("rc 127");
  expect((err as Error & { hint?: string }).hint).toContain("--no-apps");
});
