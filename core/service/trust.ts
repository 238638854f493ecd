// The CA and the trust bundle, as `init` needs them: created once, the bundle rewritten only when
// it does not already carry this CA. Never regenerates a CA (rescue and init --clean keep it).

import { readFileSync } from "node:fs";
import type { Config } from "../config/schema.ts";
import type { StatePaths } from "../paths.ts";
import { type Ca, envBlock, hasMarker, loadOrCreateCa, writeTrustBundle } from "../tls/index.ts";

export interface Trust {
  ca: Ca;
  bundleWritten: boolean;
  env: Record<string, string>;
}

export function ensureTrust(paths: StatePaths, config: Config): Trust {
  const ca = loadOrCreateCa(paths.home, { permittedDomains: config.tls.intercept_domains });
  const current = hasMarker(paths.trustBundle) && readFileSync(paths.trustBundle, "utf8").includes(ca.certPem.trim());
  if (!current) writeTrustBundle(paths.trustBundle, { caPem: ca.certPem });
  return { ca, bundleWritten: !current, env: envBlock({ bundlePath: paths.trustBundle, caPath: ca.certPath }) };
}
