import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import forge from "node-forge";
import { addDays, forgePublicKey, NAME_CONSTRAINTS_OID, nameConstraintsDer, randomSerialHex, signCertificate } from "./_x509.ts";

export const CA_COMMON_NAME = "Halton Meter Local CA";
const CA_VALIDITY_DAYS = 3650;

export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

/**
 * Build a fresh self-signed CA. `permittedDomains: null` builds one WITHOUT name
 * constraints: only tests use that, to prove the constraints are what stops a leaf.
 */
export function buildCaCert(opts: { permittedDomains: readonly string[] | null; now: Date }): CaMaterial {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 65537 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePublicKey(publicKey);
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = addDays(opts.now, -1);
  cert.validity.notAfter = addDays(opts.now, CA_VALIDITY_DAYS);
  // The install id keeps two installs' CAs apart in a trust store listing.
  const subject = [
    { name: "commonName", value: CA_COMMON_NAME },
    { name: "organizationName", value: "Halton Meter" },
    { name: "organizationalUnitName", value: `install ${randomBytes(4).toString("hex")}` },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const extensions: object[] = [
    { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ];
  if (opts.permittedDomains) {
    extensions.push({ id: NAME_CONSTRAINTS_OID, critical: true, value: nameConstraintsDer(opts.permittedDomains) });
  }
  cert.setExtensions(extensions);
  return { certPem: signCertificate(cert, privateKey), keyPem: pemOf(privateKey) };
}

const pemOf = (key: KeyObject): string => key.export({ type: "pkcs8", format: "pem" }) as string;
