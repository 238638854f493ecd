/**
 * The trust bundle: the system's roots plus our CA, for tools that take one CA file
 * (OpenSSL, Python requests, curl, git, the AWS CLI). Node takes our CA alone through
 * NODE_EXTRA_CA_CERTS, which adds to its built-in roots instead of replacing them.
 */
import { existsSync, readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { writeFileAtomic } from "../fs/atomic.ts";
import { TlsError } from "./errors.ts";

export const BUNDLE_MARKER = "# halton-meter CA cert appended";

/** Where operating systems keep their PEM bundle, most common first. */
export const SYSTEM_BUNDLE_CANDIDATES: readonly string[] = [
  "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine, Arch
  "/etc/pki/tls/certs/ca-bundle.crt", // Fedora, RHEL
  "/etc/ssl/ca-bundle.pem", // openSUSE
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // RHEL 7+
  "/etc/ssl/cert.pem", // macOS, BSDs
];

export interface SystemRoots {
  pem: string;
  /** The file read, or "node:tls" for Bun's bundled Mozilla roots. */
  source: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export const countPemCerts = (pem: string): number => pem.match(PEM_CERT)?.length ?? 0;

/** The first candidate holding at least one certificate; else the runtime's bundled roots. */
export function readSystemRoots(candidates: readonly string[] = SYSTEM_BUNDLE_CANDIDATES): SystemRoots {
  for (const path of candidates) {
    try {
      const pem = readFileSync(path, "utf8");
      if (countPemCerts(pem) > 0) return { pem, source: path };
    } catch {
      // absent or unreadable: try the next one
    }
  }
  return { pem: rootCertificates.join("\n") + "\n", source: "node:tls" };
}

export interface TrustBundleResult {
  path: string;
  source: string;
  /** Certificates in the bundle, our CA included. */
  certCount: number;
}

/** Write system roots + marker + our CA, atomically (readers never see a half-written bundle). */
export function writeTrustBundle(path: string, opts: { caPem: string; systemRoots?: SystemRoots }): TrustBundleResult {
  const roots = opts.systemRoots ?? readSystemRoots();
  const text = `${withoutOurBlock(roots.pem).trimEnd()}\n\n${BUNDLE_MARKER}\n${opts.caPem.trim()}\n`;
  try {
    writeFileAtomic(path, text, 0o644);
  } catch (cause) {
    throw new TlsError("write-failed", `cannot write the trust bundle ${path}: ${(cause as Error).message}`, "it must be a file you can write (not a directory); move whatever is there aside", { cause });
  }
  return { path, source: roots.source, certCount: countPemCerts(text) };
}

/** Roots read from a bundle we wrote ourselves never carry our CA twice. */
const withoutOurBlock = (pem: string): string => {
  const at = pem.indexOf(BUNDLE_MARKER);
  return at < 0 ? pem : pem.slice(0, at);
};

export function hasMarker(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    return readFileSync(path, "utf8").includes(BUNDLE_MARKER);
  } catch {
    return false;
  }
}

export const BUNDLE_ENV_VARS = ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO", "AWS_CA_BUNDLE"] as const;
export type TrustEnvVar = (typeof BUNDLE_ENV_VARS)[number] | "NODE_EXTRA_CA_CERTS";

/** The environment that makes tools trust the meter: bundle-takers get the bundle, Node gets our CA alone. */
export function envBlock(paths: { bundlePath: string; caPath: string }): Record<TrustEnvVar, string> {
  const env = Object.fromEntries(BUNDLE_ENV_VARS.map((name) => [name, paths.bundlePath])) as Record<TrustEnvVar, string>;
  env.NODE_EXTRA_CA_CERTS = paths.caPath;
  return env;
}
