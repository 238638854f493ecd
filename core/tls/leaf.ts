/**
 * Per-host leaf certificates for the MITM: one shared leaf key, one native signature
 * per host, kept in a small LRU. Hosts outside the CA's name constraints are refused:
 * the proxy tunnels them instead (and every client would reject such a leaf anyway).
 */
import { createSecureContext, type SecureContext } from "node:tls";
import { buildLeafCert, generateLeafKeys, type IssuerCa, type LeafKeys } from "./_leaf-cert.ts";
import { isPermittedHost, normaliseHost } from "./host.ts";
import { TlsError } from "./errors.ts";

export interface Leaf {
  host: string;
  certPem: string;
  keyPem: string;
  notAfter: Date;
}

export interface LeafIssuerOptions {
  now?: () => Date;
  /** Most leaves kept in memory (least recently used dropped first). */
  cacheSize?: number;
  /** The shared leaf key pair; generated once per issuer when absent. */
  keys?: LeafKeys;
}

export interface LeafIssuer {
  /** Normalised host permitted by the CA? (lowercase, exact or subdomain match). */
  permits(host: string): boolean;
  /** The cached leaf for `host`, issued on first use. Throws TlsError invalid-host | host-not-permitted. */
  issue(host: string): Leaf;
  /** `tls.createSecureContext({cert, key})` for `host`, cached with the leaf. Bun's SNI handler wants its `.context`. */
  secureContextFor(host: string): SecureContext;
  readonly size: number;
}

interface Entry {
  leaf: Leaf;
  context?: SecureContext;
}

const DAY_MS = 86_400_000;

export function createLeafIssuer(ca: IssuerCa & { permittedDomains: readonly string[] }, opts: LeafIssuerOptions = {}): LeafIssuer {
  const now = opts.now ?? (() => new Date());
  const cap = Math.max(1, opts.cacheSize ?? 512);
  const keys = opts.keys ?? generateLeafKeys();
  const cache = new Map<string, Entry>();

  function entryFor(rawHost: string): Entry {
    const host = normaliseHost(rawHost);
    const at = now();
    const hit = cache.get(host);
    if (hit && hit.leaf.notAfter.getTime() - at.getTime() > DAY_MS) {
      cache.delete(host); // re-insert: most recently used last
      cache.set(host, hit);
      return hit;
    }
    if (!isPermittedHost(host, ca.permittedDomains)) {
      throw new TlsError("host-not-permitted", `${host} is outside the CA's permitted domains (${ca.permittedDomains.join(", ")})`, "such hosts are tunnelled, not intercepted");
    }
    const { certPem, notAfter } = buildLeafCert(ca, host, keys, at);
    const entry: Entry = { leaf: { host, certPem, keyPem: keys.keyPem, notAfter } };
    cache.delete(host);
    cache.set(host, entry);
    if (cache.size > cap) cache.delete(cache.keys().next().value!);
    return entry;
  }

  return {
    permits(host) {
      try {
        return isPermittedHost(normaliseHost(host), ca.permittedDomains);
      } catch {
        return false;
      }
    },
    issue: (host) => entryFor(host).leaf,
    secureContextFor(host) {
      const entry = entryFor(host);
      entry.context ??= createSecureContext({ cert: entry.leaf.certPem, key: entry.leaf.keyPem });
      return entry.context;
    },
    get size() {
      return cache.size;
    },
  };
}
