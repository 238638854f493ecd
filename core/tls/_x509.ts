/**
 * Low-level X.509 helpers shared by the CA and the leaf builders: forge builds the
 * TBSCertificate, node:crypto signs it (native RSA is ~40x faster than forge's pure JS).
 */
import { createPublicKey, randomBytes, sign, type KeyObject } from "node:crypto";
import forge from "node-forge";

const { asn1, pki } = forge;

export const NAME_CONSTRAINTS_OID = "2.5.29.30";

/** A positive, non-zero-leading 128-bit serial (RFC 5280: at most 20 octets, positive). */
export function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40;
  return b.toString("hex");
}

/** forge's view of a node:crypto public key (forge needs it to encode SubjectPublicKeyInfo). */
export function forgePublicKey(key: KeyObject): forge.pki.PublicKey {
  const pub = key.type === "public" ? key : createPublicKey(key);
  return pki.publicKeyFromPem(pub.export({ type: "spki", format: "pem" }) as string);
}

/**
 * DER of NameConstraints (RFC 5280 4.2.1.10), which forge cannot encode itself:
 *   NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL,
 *                                  excludedSubtrees  [1] GeneralSubtrees OPTIONAL }
 *   GeneralSubtree  ::= SEQUENCE { base GeneralName, ... }   (minimum 0 and no maximum: omitted)
 * Permitted: one dNSName [2] per domain (covers the domain and every subdomain).
 * Excluded: every IPv4 and IPv6 address (iPAddress [7] = address || mask), so the CA
 * cannot vouch for an IP literal either: dNSName subtrees alone leave IP SANs unconstrained.
 */
export function nameConstraintsDer(permittedDomains: readonly string[]): string {
  const ctx = asn1.Class.CONTEXT_SPECIFIC;
  const seq = (value: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, value);
  const subtree = (base: forge.asn1.Asn1) => seq([base]);
  const permitted = permittedDomains.map((d) => subtree(asn1.create(ctx, 2, false, d)));
  const anyIp = (octets: number) => subtree(asn1.create(ctx, 7, false, "\0".repeat(octets * 2)));
  const nc = seq([asn1.create(ctx, 0, true, permitted), asn1.create(ctx, 1, true, [anyIp(4), anyIp(16)])]);
  return asn1.toDer(nc).getBytes();
}

/**
 * Sign a filled-in forge certificate with a node:crypto private key (sha256WithRSAEncryption)
 * and return its PEM. Same result as `cert.sign(forgeKey, sha256)`, native speed.
 */
export function signCertificate(cert: forge.pki.Certificate, issuerKey: KeyObject): string {
  const oid = pki.oids.sha256WithRSAEncryption!;
  cert.siginfo.algorithmOid = oid;
  cert.signatureOid = oid;
  const tbs = (pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), "binary");
  cert.signature = sign("sha256", tbsDer, issuerKey).toString("binary");
  (cert as unknown as { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate = tbs;
  return pki.certificateToPem(cert);
}

const DAY_MS = 86_400_000;
export const addDays = (d: Date, days: number): Date => new Date(d.getTime() + days * DAY_MS);
