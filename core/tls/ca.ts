/**
 * One CA per install: created once, loaded thereafter, never silently regenerated.
 * Regenerating would orphan the CA every tool already trusts, so any inconsistency
 * on disk is a typed error for a human (or `rescue`) to resolve.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import forge from "node-forge";
import { writeFileAtomic } from "../fs/atomic.ts";
import { buildCaCert } from "./_ca-cert.ts";
import { NAME_CONSTRAINTS_OID } from "./_x509.ts";
import { isPermittedHost, normaliseHost } from "./host.ts";
import { TlsError } from "./errors.ts";

export const CA_CERT_FILE = "ca.pem";
export const CA_KEY_FILE = "ca-key.pem";

export interface Ca {
  certPath: string;
  keyPath: string;
  certPem: string;
  /** SHA-256 of the DER certificate, colon-separated uppercase hex (as openssl and X509Certificate print it). */
  fingerprint256: string;
  notAfter: Date;
  /** The dNSName subtrees actually in the certificate (what leaves can be issued for). */
  permittedDomains: string[];
  /** Requested domains this CA's constraints do not cover (the list grew after the CA was made). */
  uncoveredDomains: string[];
  /** True when this call created the CA. */
  created: boolean;
  /** Issuer side for leaves: the parsed certificate and the private key. */
  cert: forge.pki.Certificate;
  key: KeyObject;
}

export interface LoadCaOptions {
  permittedDomains: readonly string[];
  now?: () => Date;
}

export function loadOrCreateCa(dir: string, opts: LoadCaOptions): Ca {
  const domains = [...new Set(opts.permittedDomains.map(normaliseHost))];
  if (domains.length === 0) {
    throw new TlsError("invalid-host", "no permitted domains given for the CA", "pass the intercepted provider domains");
  }
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  ensurePrivateDir(dir);
  const hasCert = existsSync(certPath);
  const hasKey = existsSync(keyPath);
  if (hasCert && !hasKey) {
    throw new TlsError("ca-key-missing", `the CA certificate ${certPath} exists but its key ${keyPath} is missing`, `restore ${CA_KEY_FILE} from a backup, or remove ${CA_CERT_FILE} (and untrust it) to create a new CA`);
  }
  if (hasKey && !hasCert) {
    throw new TlsError("ca-cert-missing", `the CA key ${keyPath} exists but its certificate ${certPath} is missing`, `restore ${CA_CERT_FILE} from a backup, or remove ${CA_KEY_FILE} to create a new CA`);
  }
  const created = !hasCert;
  if (created) createCa(certPath, keyPath, domains, (opts.now ?? (() => new Date()))());
  return readCa(certPath, keyPath, created, domains);
}

function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (cause) {
    throw new TlsError("ca-write-failed", `cannot create the CA directory ${dir}`, "check the ownership and permissions of the meter's home directory", { cause });
  }
}

function createCa(certPath: string, keyPath: string, domains: string[], now: Date): void {
  const { certPem, keyPem } = buildCaCert({ permittedDomains: domains, now });
  try {
    // Key first: a crash in between leaves a key without a cert, which is reported, never overwritten.
    writeFileAtomic(keyPath, keyPem, 0o600);
    writeFileAtomic(certPath, certPem, 0o644);
  } catch (cause) {
    throw new TlsError("ca-write-failed", `cannot write the CA files in ${certPath}`, "check free disk space and the directory's permissions", { cause });
  }
}

function readCa(certPath: string, keyPath: string, created: boolean, requested: string[]): Ca {
  const certPem = readOrThrow(certPath, "certificate");
  const keyPem = readOrThrow(keyPath, "key");
  let x509: X509Certificate;
  let cert: forge.pki.Certificate;
  let key: KeyObject;
  try {
    x509 = new X509Certificate(certPem);
    cert = forge.pki.certificateFromPem(certPem);
  } catch (cause) {
    throw unreadable(certPath, "is not a valid PEM certificate", cause);
  }
  try {
    key = createPrivateKey(keyPem);
  } catch (cause) {
    throw unreadable(keyPath, "is not a valid PEM private key", cause);
  }
  if (!x509.checkPrivateKey(key)) {
    throw new TlsError("ca-mismatch", `the CA key ${keyPath} does not belong to the certificate ${certPath}`, "restore the matching pair from a backup; never mix files from two installs");
  }
  tightenKeyMode(keyPath);
  const permittedDomains = permittedDomainsOf(cert);
  return {
    certPath,
    keyPath,
    certPem,
    fingerprint256: x509.fingerprint256,
    notAfter: new Date(x509.validTo),
    permittedDomains,
    uncoveredDomains: requested.filter((d) => !isPermittedHost(d, permittedDomains)),
    created,
    cert,
    key,
  };
}

function readOrThrow(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    throw unreadable(path, `cannot be read (${(cause as NodeJS.ErrnoException).code ?? "error"})`, cause, what);
  }
}

const unreadable = (path: string, why: string, cause: unknown, what = "file"): TlsError =>
  new TlsError("ca-unreadable", `the CA ${what} ${path} ${why}`, "check the file's owner and permissions, or restore it from a backup", { cause });

/** A key made world-readable by a copy or a restore goes back to 0600 (best effort). */
function tightenKeyMode(keyPath: string): void {
  try {
    chmodSync(keyPath, 0o600);
  } catch {
    // Not ours to fix (another owner); the key still works.
  }
}

function permittedDomainsOf(cert: forge.pki.Certificate): string[] {
  type NameConstraintsExt = { id: string; permittedSubtrees?: { type: number; value: string }[] };
  const ext = (cert.extensions as NameConstraintsExt[]).find((e) => e.id === NAME_CONSTRAINTS_OID);
  return (ext?.permittedSubtrees ?? []).filter((s) => s.type === 2).map((s) => s.value);
}
