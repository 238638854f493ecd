// A server certificate for hosts outside the metered six (a stand-in for a service a client calls
// besides its provider, reached through the edge's raw tunnel), issued by makeTestCerts' test CA.

import { join } from "node:path";
import type { TestCerts } from "./certs.ts";

async function openssl(args: string[], cwd: string): Promise<void> {
  const p = Bun.spawn(["openssl", ...args], { cwd, stdout: "ignore", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${err}`);
}

/** Writes `<name>.{pem,key}` beside the test CA, valid for `hosts`; returns the PEMs. */
export async function issueLeaf(certs: TestCerts, name: string, hosts: readonly string[]): Promise<{ cert: string; key: string }> {
  const dir = certs.dir;
  await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${hosts[0]}`, "-keyout", `${name}.key`, "-out", `${name}.csr`], dir);
  const ext = `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(",")}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`;
  await Bun.write(join(dir, `${name}.ext`), ext);
  await openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "fakeca.pem", "-CAkey", "fakeca.key", "-CAcreateserial", "-days", "2", "-extfile", `${name}.ext`, "-out", `${name}.pem`], dir);
  return { cert: await Bun.file(join(dir, `${name}.pem`)).text(), key: await Bun.file(join(dir, `${name}.key`)).text() };
}
