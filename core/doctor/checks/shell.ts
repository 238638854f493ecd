// The proxy and trust environment: in the shell doctor runs in, and in the rc block new shells read.

import { existsSync, readFileSync } from "node:fs";
import { rcBlockExports, rcEnv, rcFilesFor } from "../../service/rc-block.ts";
import { envBlock } from "../../tls/index.ts";
import type { DoctorContext } from "../context.ts";
import { finding, type Finding } from "../types.ts";

// Read by the doctor tests from here, where the checks that use it live.
export { rcBlockExports };

/** What every shell should have, or null when no ports are recorded. */
function wanted(ctx: DoctorContext): Record<string, string> | null {
  const ports = ctx.ports();
  if (!ports.ok) return null;
  return rcEnv(ports.ports.edge, envBlock({ bundlePath: ctx.paths.trustBundle, caPath: ctx.paths.caCert }));
}

/** The variables that decide whether a tool is metered and trusts us (the rest are conveniences). */
const ESSENTIAL = ["HTTPS_PROXY", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"];

function differences(have: Record<string, string | undefined>, want: Record<string, string>, names: readonly string[]): string[] {
  return names.filter((n) => want[n] !== undefined && have[n] !== want[n]).map((n) => (have[n] === undefined ? `${n} is not set` : `${n}=${have[n]} (want ${want[n]})`));
}

export function checkShellEnv(ctx: DoctorContext): Finding {
  const want = wanted(ctx);
  if (!ctx.installed || !want) return finding("shell-env", "skip", "not installed: nothing to expect yet");
  const have = { ...ctx.env, HTTPS_PROXY: ctx.env.HTTPS_PROXY ?? ctx.env.https_proxy };
  const wrong = differences(have, want, ESSENTIAL);
  if (wrong.length === 0) return finding("shell-env", "ok", `this shell uses the meter (HTTPS_PROXY=${want.HTTPS_PROXY}) and trusts its CA`);
  return finding("shell-env", "warn", `in this shell: ${wrong.join("; ")}`, "open a new terminal, or `source ~/.bashrc` (zsh: ~/.zshrc); tools started from this shell are not metered");
}

export function checkRcBlock(ctx: DoctorContext): Finding {
  const want = wanted(ctx);
  if (!ctx.installed || !want) return finding("rc-block", "skip", "not installed: no rc block expected");
  const files = rcFilesFor(ctx.userHome, ctx.shell);
  const repair = { id: "rewrite-rc-block" as const, does: `rewrite the marker-delimited block in ${files.join(" and ")}` };
  const hint = "run `halton-meter doctor --fix --apply` (or `halton-meter init`) to write it";
  const problems: string[] = [];
  for (const file of files) {
    const block = existsSync(file) ? rcBlockExports(readFileSync(file, "utf8")) : null;
    if (!block) problems.push(`${file} has no halton-meter block`);
    else {
      const wrong = differences(block, want, Object.keys(want));
      if (wrong.length) problems.push(`${file}: ${wrong.join("; ")}`);
    }
  }
  if (problems.length) return finding("rc-block", "warn", `${problems.join("; ")}: new shells do not use the meter`, hint, repair);
  return finding("rc-block", "ok", `${files.join(", ")}: block present, proxy ${want.HTTPS_PROXY}`);
}
