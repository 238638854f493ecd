// Our CA in the login keychain, trusted as a root: what apps launched from the Dock need in
// apps and full mode (they read neither SSL_CERT_FILE nor NODE_EXTRA_CA_CERTS).

import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Runner } from "../../core/service/supervisor.ts";
import { ServiceError } from "../../core/service/errors.ts";

export interface Keychain {
  readonly path: string;
  /** True when this exact certificate (by SHA-1) is in the login keychain. */
  holds(caPath: string): Promise<boolean>;
  /** Adds the CA with root trust; macOS asks for the user's password once. Idempotent. */
  trust(caPath: string): Promise<"added" | "already">;
  /** Removes its trust setting and the certificate itself. Absent is not an error. */
  untrust(caPath: string): Promise<"removed" | "absent">;
}

const sha1 = (caPath: string) => new X509Certificate(readFileSync(caPath)).fingerprint.replace(/:/g, "").toUpperCase();
const commonName = (caPath: string) => /CN=([^\n,]+)/.exec(new X509Certificate(readFileSync(caPath)).subject)?.[1] ?? "";
const firstLine = (out: string) => out.trim().split("\n")[0] ?? "";

export function createKeychain(opts: { userHome: string; run: Runner }): Keychain {
  const path = join(opts.userHome, "Library", "Keychains", "login.keychain-db");
  const security = (...args: string[]) => opts.run(["security", ...args]);

  async function holds(caPath: string): Promise<boolean> {
    const r = await security("find-certificate", "-a", "-Z", "-c", commonName(caPath), path);
    if (r.code !== 0) return false;
    const want = sha1(caPath);
    return [...r.stdout.matchAll(/^SHA-1 hash:\s*([0-9A-Fa-f]+)/gm)].some((m) => m[1]!.toUpperCase() === want);
  }

  return {
    path,
    holds,
    async trust(caPath) {
      if (await holds(caPath)) return "already";
      const r = await security("add-trusted-cert", "-r", "trustRoot", "-k", path, caPath);
      if (r.code !== 0) {
        throw new ServiceError(
          `the login keychain did not take the Halton Meter CA (security rc ${r.code}: ${firstLine(r.stderr || r.stdout)})`,
          "macOS asks for your password to trust a certificate: run `halton-meter init` again from a desktop session, or use `--no-apps`",
        );
      }
      return "added";
    },
    async untrust(caPath) {
      if (!(await holds(caPath))) return "absent";
      // The trust setting first: a certificate deleted with its setting left behind leaves a dangling entry.
      await security("remove-trusted-cert", caPath);
      const r = await security("delete-certificate", "-Z", sha1(caPath), path);
      if (r.code !== 0) throw new ServiceError(`could not remove the Halton Meter CA from ${path} (security rc ${r.code}: ${firstLine(r.stderr || r.stdout)})`, "remove it in Keychain Access: search for \"Halton Meter\"");
      return "removed";
    },
  };
}
