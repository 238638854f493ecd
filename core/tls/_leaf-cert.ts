import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import forge from "node-forge";
import { addDays, forgePublicKey, randomSerialHex, signCertificate } from "./_x509.ts";

/** Total validity stays under the 398 days Apple and browsers accept for server certificates. */
const LEAF_BACKDATE_DAYS = 1;
const LEAF_VALIDITY_DAYS = 365;

/** The one key pair every leaf shares (what mitmproxy does): issuing then costs one signature. */
export interface LeafKeys {
  keyPem: string;
  publicKey: forge.pki.PublicKey;
}

export function generateLeafKeys(): LeafKeys {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 65537 });
  return {
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    publicKey: forgePublicKey(publicKey),
  };
}

/** A stored leaf key, checked: an RSA private key in PEM. Throws on anything else. */
export function leafKeysFromPem(keyPem: string): LeafKeys {
  const privateKey = createPrivateKey(keyPem);
  if (privateKey.asymmetricKeyType !== "rsa") throw new Error(`not an RSA key (${privateKey.asymmetricKeyType})`);
  return { keyPem, publicKey: forgePublicKey(createPublicKey(privateKey)) };
}

export interface IssuerCa {
  cert: forge.pki.Certificate;
  key: KeyObject;
}

export interface LeafCert {
  certPem: string;
  notAfter: Date;
}

/**
 * Build and sign a server certificate for `host` (already normalised). No domain check here:
 * the issuer in leaf.ts does that; tests call this directly to prove the CA's constraints bite.
 */
export function buildLeafCert(ca: IssuerCa, host: string, keys: LeafKeys, now: Date): LeafCert {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = addDays(now, -LEAF_BACKDATE_DAYS);
  cert.validity.notAfter = addDays(now, LEAF_VALIDITY_DAYS);
  cert.setSubject([{ name: "commonName", value: host }]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    { name: "subjectAltName", altNames: [{ type: 2, value: host }] },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: caKeyIdentifier(ca.cert) },
  ]);
  return { certPem: signCertificate(cert, ca.key), notAfter: cert.validity.notAfter };
}

const keyIdCache = new WeakMap<forge.pki.Certificate, string>();

/** The CA's own subjectKeyIdentifier bytes (falling back to forge's SHA-1 of its key). */
function caKeyIdentifier(caCert: forge.pki.Certificate): string {
  let id = keyIdCache.get(caCert);
  if (id === undefined) {
    const ski = caCert.getExtension("subjectKeyIdentifier") as { subjectKeyIdentifier?: string } | null;
    id = ski?.subjectKeyIdentifier
      ? forge.util.hexToBytes(ski.subjectKeyIdentifier)
      : caCert.generateSubjectKeyIdentifier().getBytes();
    keyIdCache.set(caCert, id);
  }
  return id;
}
