import { readFileSync } from "node:fs";
import { defineCommand } from "citty";
import { envBlock, hasMarker, loadOrCreateCa, TlsError, writeTrustBundle } from "../../core/tls/index.ts";
import { cliContext } from "../_context.ts";
import { UserError } from "../_errors.ts";

export default defineCommand({
  meta: { name: "setup", description: "Create the CA if needed, write the trust bundle and print the env block clients need" },
  args: {
    force: { type: "boolean", description: "Rewrite the trust bundle even if it looks fine" },
    quiet: { type: "boolean", description: "Print only the export lines" },
  },
  run({ args }) {
    const { paths, config, term } = cliContext();
    let ca: ReturnType<typeof loadOrCreateCa>;
    let written: ReturnType<typeof writeTrustBundle> | null = null;
    try {
      ca = loadOrCreateCa(paths.home, { permittedDomains: config.tls.intercept_domains });
      const current = hasMarker(paths.trustBundle) && readFileSync(paths.trustBundle, "utf8").includes(ca.certPem.trim());
      if (args.force || !current) written = writeTrustBundle(paths.trustBundle, { caPem: ca.certPem });
    } catch (err) {
      if (err instanceof TlsError) throw new UserError(err.message, err.hint);
      throw err;
    }
    if (!args.quiet) {
      if (written) term.success(`trust bundle written: ${written.path} (${written.certCount} certificates, roots from ${written.source})`);
      else term.info(`trust bundle is current: ${paths.trustBundle} (--force rewrites it)`);
      if (ca.created) term.success(`new CA created: ${ca.certPath}`);
      term.info(`CA fingerprint (SHA-256): ${ca.fingerprint256}`);
      term.info("Add to your shell (or let `halton-meter init` write the rc block):");
    }
    for (const [name, value] of Object.entries(envBlock({ bundlePath: paths.trustBundle, caPath: ca.certPath }))) term.print(`export ${name}="${value}"`);
    return 0;
  },
});
