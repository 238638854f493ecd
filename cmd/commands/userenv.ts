import { defineCommand } from "citty";
import { meterHome, statePaths } from "../../core/paths.ts";
import { readEffectivePorts } from "../../core/ports/index.ts";
import { rcEnv } from "../../core/service/rc-block.ts";
import { processRunner } from "../../core/service/runner.ts";
import { readSentinels } from "../../core/service/sentinels.ts";
import { envBlock } from "../../core/tls/index.ts";
import { createTerminal } from "../../core/log/terminal.ts";
import { MODE_ENV } from "../../platform/darwin/agents.ts";
import { UserError } from "../_errors.ts";

// Apps started from the Dock or Spotlight never read a shell rc file: launchd's user domain is
// where they get their environment. Runs once at every login (com.haltonlabs.meter.userenv).
export default defineCommand({
  meta: { name: "userenv", description: "Put the proxy and trust env into launchd's user domain (launchd runs it at login)", hidden: true },
  async run() {
    const term = createTerminal();
    const paths = statePaths(meterHome());
    const ports = readEffectivePorts(paths.effectivePorts);
    if (!ports.ok) throw new UserError(`cannot tell apps where the proxy is: ${ports.message}`, "run `halton-meter init`");
    const env = rcEnv(ports.ports.edge, envBlock({ bundlePath: paths.trustBundle, caPath: paths.caCert }));
    // env-only means shells only: whatever an earlier apps or full install set is taken back.
    // The plist carries the mode (init writes its sentinels only after launchd has run us).
    const fromPlist = process.env[MODE_ENV];
    const mode = fromPlist === "apps" || fromPlist === "full" || fromPlist === "env-only" ? fromPlist : readSentinels(paths).mode;
    const apps = mode === "apps" || mode === "full";
    for (const [name, value] of Object.entries(env)) {
      const argv = apps ? ["launchctl", "setenv", name, value] : ["launchctl", "unsetenv", name];
      const r = await processRunner(argv);
      if (r.code !== 0) throw new UserError(`${argv.slice(0, 3).join(" ")} failed (rc ${r.code}): ${(r.stderr || r.stdout).trim()}`, "`launchctl print gui/$(id -u)` shows whether this session has a launchd user domain");
    }
    term.info(apps ? `launchd user env set for ${mode} mode: ${Object.keys(env).join(" ")}` : `launchd user env cleared (install mode: ${mode ?? "none"})`);
    return 0;
  },
});
