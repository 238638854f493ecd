// config.toml, the CA files and their permissions, the trust bundle and its marker.

import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { BUNDLE_MARKER } from "../../tls/index.ts";
import type { DoctorContext } from "../context.ts";
import { finding, type Finding } from "../types.ts";

export function checkConfig(ctx: DoctorContext): Finding {
  if (ctx.configError) {
    const hint = `fix ${ctx.paths.config} (\`halton-meter config --defaults\` lists every key): until then the edge tunnels on its defaults and the daemon refuses to start`;
    return finding("config", "fail", ctx.configError, hint);
  }
  return finding("config", "ok", existsSync(ctx.paths.config) ? `${ctx.paths.config} is valid` : "no config.toml: the defaults apply");
}

/** The CA certificate, parsed; null (with why) when it cannot be read. */
export function readCaCert(ctx: DoctorContext): { cert: X509Certificate; pem: string } | { why: string } {
  if (!existsSync(ctx.paths.caCert)) return { why: `${ctx.paths.caCert} does not exist` };
  try {
    const pem = readFileSync(ctx.paths.caCert, "utf8");
    return { cert: new X509Certificate(pem), pem };
  } catch (err) {
    return { why: `${ctx.paths.caCert} cannot be read as a certificate (${(err as Error).message})` };
  }
}

export function checkCa(ctx: DoctorContext): Finding {
  const ca = readCaCert(ctx);
  const status = ctx.installed ? "fail" : "warn";
  if ("why" in ca) return finding("ca", status, ca.why, existsSync(ctx.paths.caKey) ? `restore ca.pem from a backup (its key is still there)` : "run `halton-meter init` (or `halton-meter setup`) to create the CA");
  if (!existsSync(ctx.paths.caKey)) return finding("ca", status, `${ctx.paths.caKey} is missing: no leaf certificates can be issued`, "restore ca-key.pem from a backup, or remove ca.pem and run `halton-meter init` for a new CA (tools must trust it again)");
  const notAfter = new Date(ca.cert.validTo);
  if (notAfter.getTime() < ctx.now().getTime()) return finding("ca", "fail", `the CA expired on ${notAfter.toISOString().slice(0, 10)}`, "remove ca.pem and ca-key.pem, then run `halton-meter init` for a new CA");
  return finding("ca", "ok", `${ctx.paths.caCert}: valid until ${notAfter.toISOString().slice(0, 10)}, SHA-256 ${ca.cert.fingerprint256.slice(0, 23)}…`);
}

const mode = (path: string) => statSync(path).mode & 0o777;

export function checkCaPermissions(ctx: DoctorContext): Finding {
  if (!existsSync(ctx.paths.caKey)) return finding("ca-permissions", "skip", "no CA key yet");
  const problems: string[] = [];
  if (mode(ctx.paths.caKey) !== 0o600) problems.push(`ca-key.pem is ${mode(ctx.paths.caKey).toString(8)}, not 600`);
  if ((mode(ctx.paths.home) & 0o077) !== 0) problems.push(`${ctx.paths.home} is ${mode(ctx.paths.home).toString(8)}, not 700`);
  if (problems.length === 0) return finding("ca-permissions", "ok", "ca-key.pem 600, its folder 700");
  return finding("ca-permissions", "warn", `${problems.join("; ")}: other users could read the CA key`, "run `halton-meter doctor --fix --apply` (chmod 600 the key, 700 its folder)", {
    id: "fix-ca-permissions",
    does: `chmod 600 ${ctx.paths.caKey} and chmod 700 ${ctx.paths.home}`,
  });
}

export function checkTrustBundle(ctx: DoctorContext): Finding {
  const repair = { id: "rewrite-trust-bundle" as const, does: `rewrite ${ctx.paths.trustBundle} (system roots, the marker line, our CA)` };
  const hint = "run `halton-meter doctor --fix --apply` (or `halton-meter setup --force`) to rewrite it";
  const ca = readCaCert(ctx);
  if ("why" in ca) return finding("trust-bundle", "skip", "no CA to put in it");
  if (!existsSync(ctx.paths.trustBundle)) {
    return finding("trust-bundle", ctx.installed ? "fail" : "warn", `${ctx.paths.trustBundle} does not exist: tools pointed at it by SSL_CERT_FILE fail every TLS connection`, hint, repair);
  }
  const text = readFileSync(ctx.paths.trustBundle, "utf8");
  const marked = text.split("\n").some((l) => l.trim() === BUNDLE_MARKER);
  if (!marked) return finding("trust-bundle", "warn", `the marker line "${BUNDLE_MARKER}" is missing from ${ctx.paths.trustBundle}`, hint, repair);
  if (!text.includes(ca.pem.trim())) return finding("trust-bundle", "warn", `${ctx.paths.trustBundle} does not hold the current CA`, hint, repair);
  return finding("trust-bundle", "ok", `${ctx.paths.trustBundle}: marker present, holds our CA`);
}
