import { afterAll, describe, expect, test } from "bun:test";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLeafIssuer, loadOrCreateCa, TlsError } from "../../core/tls/index.ts";
import { generateLeafKeys } from "../../core/tls/_leaf-cert.ts";
import { opensslVerify } from "./_clients.ts";
import { cleanupTempDirs, opensslText, PROVIDER_DOMAINS, tempDir } from "./_helpers.ts";

afterAll(cleanupTempDirs);

const ca = loadOrCreateCa(tempDir(), { permittedDomains: PROVIDER_DOMAINS });
const keys = generateLeafKeys();
const DAY = 86_400_000;

function kindOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof TlsError) return e.kind;
    throw e;
  }
  return undefined;
}

describe("createLeafIssuer", () => {
  test("a leaf carries the host as SAN and CN, serverAuth, and chains to the CA", async () => {
    const t0 = performance.now();
    const issuer = createLeafIssuer(ca);
    const t1 = performance.now();
    const leaf = issuer.issue("api.anthropic.com");
    const t2 = performance.now();
    console.log(`leaf key pair: ${(t1 - t0).toFixed(1)} ms, first leaf: ${(t2 - t1).toFixed(2)} ms`);

    const x = new X509Certificate(leaf.certPem);
    expect(x.subjectAltName).toBe("DNS:api.anthropic.com");
    expect(x.subject).toBe("CN=api.anthropic.com");
    expect(x.ca).toBe(false);
    expect(x.checkHost("api.anthropic.com")).toBe("api.anthropic.com");
    expect(x.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);

    const dir = tempDir();
    writeFileSync(join(dir, "leaf.pem"), leaf.certPem);
    const v = await opensslVerify(ca.certPath, join(dir, "leaf.pem"));
    expect(v).toEqual({ ok: true, detail: `${join(dir, "leaf.pem")}: OK` });

    const text = await opensslText(join(dir, "leaf.pem"));
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Server Authentication/);
    expect(text).toContain("Signature Algorithm: sha256WithRSAEncryption");
    const caSki = /Subject Key Identifier:\s+(\S+)/.exec(await opensslText(ca.certPath))![1];
    expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s+(keyid:)?${caSki}`));
  });

  test("validity: backdated one day, under 398 days in total", () => {
    const now = new Date("2031-05-06T07:08:09Z");
    const leaf = createLeafIssuer(ca, { keys, now: () => now }).issue("api.openai.com");
    const x = new X509Certificate(leaf.certPem);
    const from = new Date(x.validFrom).getTime();
    const to = new Date(x.validTo).getTime();
    expect(from).toBe(now.getTime() - DAY);
    expect(to).toBe(leaf.notAfter.getTime());
    expect((to - from) / DAY).toBeLessThanOrEqual(397);
    expect((to - now.getTime()) / DAY).toBeGreaterThanOrEqual(364);
  });

  test("cached per host: same object again, hosts normalised; different hosts, different certs", () => {
    const issuer = createLeafIssuer(ca, { keys });
    const a = issuer.issue("api.anthropic.com");
    expect(issuer.issue("api.anthropic.com")).toBe(a);
    expect(issuer.issue("API.Anthropic.COM.")).toBe(a);
    const b = issuer.issue("api.openai.com");
    expect(b.certPem).not.toBe(a.certPem);
    expect(b.keyPem).toBe(a.keyPem); // one shared leaf key
    expect(new X509Certificate(a.certPem).serialNumber).not.toBe(new X509Certificate(b.certPem).serialNumber);
    expect(issuer.size).toBe(2);
  });

  test("secure contexts are cached with their leaf", () => {
    const issuer = createLeafIssuer(ca, { keys });
    const ctx = issuer.secureContextFor("chatgpt.com");
    expect(issuer.secureContextFor("ChatGPT.com")).toBe(ctx);
    expect(ctx.context).toBeDefined();
  });

  test("LRU: the least recently used host is dropped at the cap", () => {
    const issuer = createLeafIssuer(ca, { keys, cacheSize: 2 });
    const a = issuer.issue("a.x.ai");
    issuer.issue("b.x.ai");
    issuer.issue("a.x.ai"); // a is now the most recent
    issuer.issue("c.x.ai"); // evicts b
    expect(issuer.size).toBe(2);
    expect(issuer.issue("a.x.ai")).toBe(a);
    const b1 = issuer.issue("b.x.ai");
    expect(issuer.issue("b.x.ai")).toBe(b1);
  });

  test("a leaf close to expiry is re-issued", () => {
    let now = new Date("2030-01-01T00:00:00Z");
    const issuer = createLeafIssuer(ca, { keys, now: () => now });
    const first = issuer.issue("api.x.ai");
    now = new Date(first.notAfter.getTime() - DAY / 2);
    const second = issuer.issue("api.x.ai");
    expect(second).not.toBe(first);
    expect(second.notAfter.getTime()).toBeGreaterThan(first.notAfter.getTime());
  });

  test("refuses hosts outside the permitted domains, and malformed hosts", () => {
    const issuer = createLeafIssuer(ca, { keys });
    expect(kindOf(() => issuer.issue("example.com"))).toBe("host-not-permitted");
    expect(kindOf(() => issuer.issue("evilanthropic.com"))).toBe("host-not-permitted");
    expect(kindOf(() => issuer.issue("anthropic.com.evil.net"))).toBe("host-not-permitted");
    expect(kindOf(() => issuer.secureContextFor("example.com"))).toBe("host-not-permitted");
    expect(kindOf(() => issuer.issue("127.0.0.1"))).toBe("invalid-host");
    expect(kindOf(() => issuer.issue("api anthropic.com"))).toBe("invalid-host");
    expect(kindOf(() => issuer.issue(""))).toBe("invalid-host");
    expect(issuer.size).toBe(0);
    expect(issuer.permits("anthropic.com")).toBe(true);
    expect(issuer.permits("Deep.Sub.Googleapis.com")).toBe(true);
    expect(issuer.permits("example.com")).toBe(false);
    expect(issuer.permits("::1")).toBe(false);
  });

  test("a cache hit costs a small fraction of issuing a leaf", () => {
    const issuer = createLeafIssuer(ca, { keys, cacheSize: 1024 });
    for (let i = 0; i < 20; i++) issuer.issue(`warm${i}.openai.com`);
    const n = 200;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) issuer.issue(`h${i}.openai.com`);
    const perLeaf = (performance.now() - t0) / n;
    const t1 = performance.now();
    for (let i = 0; i < n; i++) issuer.issue(`h${i}.openai.com`);
    const perHit = (performance.now() - t1) / n;
    console.log(`leaf issue: ${perLeaf.toFixed(3)} ms/leaf (n=${n}), cache hit: ${(perHit * 1000).toFixed(1)} µs`);
    // Every host was issued once and then found: the second loop signed nothing.
    expect(issuer.size).toBe(20 + n);
    // A leaf is an RSA signature (about a millisecond), a hit a map lookup (microseconds): a
    // factor of ten is a generous margin on a noisy machine, and a cache that re-signs misses it.
    expect(perHit * 10).toBeLessThan(perLeaf);
  });
});
