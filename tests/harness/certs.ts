// Test certificates made with openssl: a test CA and a server certificate for every metered
// provider host (what the fake providers present), and a rogue pair signed by another CA.

import { join } from "node:path";
import { PROVIDER_HOSTS } from "../../core/providers/hosts.ts";

/** The six metered provider hosts; the fake's certificate names them all. */
export { PROVIDER_HOSTS };

export interface TestCerts {
  dir: string;
  caPath: string;
  caPem: string;
  cert: string;
  key: string;
  /** A server cert for the same names, signed by a CA that is NOT the test CA. */
  rogueCert: string;
  rogueKey: string;
  rogueCaPath: string;
}

async function sh(argv: string[], cwd: string): Promise<void> {
  const p = Bun.spawn(argv, { cwd, stdout: "ignore", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} failed: ${err}`);
}

const SAN = `subjectAltName=${PROVIDER_HOSTS.map((h) => `DNS:${h}`).join(",")},DNS:localhost,IP:127.0.0.1`;

async function issue(dir: string, ca: string, name: string): Promise<void> {
  await sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${ca} Test CA`, "-keyout", `${ca}.key`, "-out", `${ca}.pem`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  await signLeaf(dir, ca, name, SAN, name);
}

/** `<name>.{pem,key}` in `dir`, signed by the CA `<ca>.{pem,key}` there, for the names in `san`. */
async function signLeaf(dir: string, ca: string, name: string, san: string, cn: string): Promise<void> {
  await sh(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`, "-keyout", `${name}.key`, "-out", `${name}.csr`], dir);
  await Bun.write(join(dir, `${name}.ext`), `${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  await sh(["openssl", "x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "2", "-extfile", `${name}.ext`, "-out", `${name}.pem`], dir);
}

/**
 * A server certificate from the test CA for hosts outside the metered six (a stand-in for a
 * service a client calls besides its provider, reached through the edge's raw tunnel).
 */
export async function issueLeaf(certs: TestCerts, name: string, hosts: readonly string[]): Promise<{ cert: string; key: string }> {
  await signLeaf(certs.dir, "fakeca", name, `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(",")}`, hosts[0]!);
  const read = (f: string) => Bun.file(join(certs.dir, f)).text();
  return { cert: await read(`${name}.pem`), key: await read(`${name}.key`) };
}

/** Writes fakeca.pem, fakesrv.{pem,key} (and the rogue set) into `dir`. */
export async function makeTestCerts(dir: string): Promise<TestCerts> {
  await Promise.all([issue(dir, "fakeca", "fakesrv"), issue(dir, "rogueca", "roguesrv")]);
  const read = (f: string) => Bun.file(join(dir, f)).text();
  return {
    dir,
    caPath: join(dir, "fakeca.pem"),
    caPem: await read("fakeca.pem"),
    cert: await read("fakesrv.pem"),
    key: await read("fakesrv.key"),
    rogueCert: await read("roguesrv.pem"),
    rogueKey: await read("roguesrv.key"),
    rogueCaPath: join(dir, "rogueca.pem"),
  };
}

/** Where makeTestCerts put the server's certificate and key (for a provider in its own process). */
export const serverCertFiles = (dir: string) => ({ cert: join(dir, "fakesrv.pem"), key: join(dir, "fakesrv.key") });
