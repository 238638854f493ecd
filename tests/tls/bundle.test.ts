import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import {
  BUNDLE_MARKER,
  countPemCerts,
  createLeafIssuer,
  envBlock,
  hasMarker,
  loadOrCreateCa,
  readSystemRoots,
  writeTrustBundle,
} from "../../core/tls/index.ts";
import { opensslVerify } from "./_clients.ts";
import { cleanupTempDirs, PROVIDER_DOMAINS, tempDir } from "./_helpers.ts";

afterAll(cleanupTempDirs);

const ca = loadOrCreateCa(tempDir(), { permittedDomains: PROVIDER_DOMAINS });
const DEBIAN_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

describe("readSystemRoots", () => {
  // Machines without Debian's bundle are covered by the fallback test below.
  // test.if, not `if (...) test`: where the bundle is missing the run reports a skip instead of dropping the test.
  test.if(existsSync(DEBIAN_BUNDLE))("reads the system bundle when there is one", () => {
    const roots = readSystemRoots();
    expect(roots.source).toBe(DEBIAN_BUNDLE);
    expect(countPemCerts(roots.pem)).toBeGreaterThan(50);
  });

  test("takes the first candidate that holds certificates", () => {
    const dir = tempDir();
    const empty = join(dir, "empty.pem");
    const good = join(dir, "good.pem");
    writeFileSync(empty, "# nothing here\n");
    writeFileSync(good, ca.certPem);
    expect(readSystemRoots([join(dir, "absent.pem"), empty, good])).toEqual({ pem: ca.certPem, source: good });
  });

  test("falls back to the runtime's bundled Mozilla roots", () => {
    const roots = readSystemRoots([join(tempDir(), "absent.pem")]);
    expect(roots.source).toBe("node:tls");
    expect(countPemCerts(roots.pem)).toBe(rootCertificates.length);
    expect(rootCertificates.length).toBeGreaterThan(100);
  });
});

describe("writeTrustBundle", () => {
  test("system roots, then the marker, then our CA", () => {
    const path = join(tempDir(), "bundle.pem");
    const result = writeTrustBundle(path, { caPem: ca.certPem });
    const text = readFileSync(path, "utf8");
    const systemCount = countPemCerts(readSystemRoots().pem);
    expect(systemCount).toBeGreaterThan(50);
    expect(result.certCount).toBe(systemCount + 1);
    expect(countPemCerts(text)).toBe(systemCount + 1);
    expect(text.split("\n").filter((l) => l === BUNDLE_MARKER)).toHaveLength(1);
    expect(text.endsWith(`${BUNDLE_MARKER}\n${ca.certPem.trim()}\n`)).toBe(true);
    expect(hasMarker(path)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  test("replaces an existing file atomically and leaves no temp files", () => {
    const dir = tempDir();
    const path = join(dir, "bundle.pem");
    writeFileSync(path, "stale\n");
    const before = statSync(path).ino;
    writeTrustBundle(path, { caPem: ca.certPem, systemRoots: { pem: rootCertificates.slice(0, 3).join("\n"), source: "test" } });
    expect(readdirSync(dir)).toEqual(["bundle.pem"]);
    expect(statSync(path).ino).not.toBe(before); // renamed over, not rewritten in place
    const text = readFileSync(path, "utf8");
    expect(text).not.toContain("stale");
    expect(countPemCerts(text)).toBe(4);
  });

  test("rebuilding from a bundle we wrote never appends our CA twice", () => {
    const dir = tempDir();
    const first = join(dir, "first.pem");
    writeTrustBundle(first, { caPem: ca.certPem, systemRoots: { pem: rootCertificates.slice(0, 2).join("\n"), source: "test" } });
    const second = join(dir, "second.pem");
    writeTrustBundle(second, { caPem: ca.certPem, systemRoots: readSystemRoots([first]) });
    const text = readFileSync(second, "utf8");
    expect(text.split(BUNDLE_MARKER)).toHaveLength(2);
    expect(countPemCerts(text)).toBe(3);
  });

  test("openssl trusts our leaves through the bundle", async () => {
    const dir = tempDir();
    const bundle = join(dir, "bundle.pem");
    writeTrustBundle(bundle, { caPem: ca.certPem });
    const leafPath = join(dir, "leaf.pem");
    writeFileSync(leafPath, createLeafIssuer(ca).issue("api.openai.com").certPem);
    expect((await opensslVerify(bundle, leafPath)).ok).toBe(true);
  });

  test("hasMarker is false for a plain or missing file", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "plain.pem"), ca.certPem);
    expect(hasMarker(join(dir, "plain.pem"))).toBe(false);
    expect(hasMarker(join(dir, "missing.pem"))).toBe(false);
  });
});

test("envBlock: bundle for one-file tools, our CA alone for Node", () => {
  expect(envBlock({ bundlePath: "/h/bundle.pem", caPath: "/h/ca.pem" })).toEqual({
    SSL_CERT_FILE: "/h/bundle.pem",
    REQUESTS_CA_BUNDLE: "/h/bundle.pem",
    CURL_CA_BUNDLE: "/h/bundle.pem",
    GIT_SSL_CAINFO: "/h/bundle.pem",
    AWS_CA_BUNDLE: "/h/bundle.pem",
    NODE_EXTRA_CA_CERTS: "/h/ca.pem",
  });
});
