import { defineCommand } from "citty";
import { createClient } from "../../core/api/client.ts";
import { loopbackFetch } from "../../core/api/loopback-fetch.ts";
import { defaultConfig, formatConfigError, loadConfig } from "../../core/config/index.ts";
import { doctorContext, type DoctorContext } from "../../core/doctor/context.ts";
import { acceptsConnections } from "../../core/ports/probe.ts";
import { renderOutcomes, renderPlan, renderReport } from "../../core/doctor/render.ts";
import { applyRepairs, plannedRepairs } from "../../core/doctor/repairs.ts";
import { runChecks } from "../../core/doctor/run.ts";
import { VERDICT_EXIT } from "../../core/doctor/types.ts";
import { createTerminal } from "../../core/log/terminal.ts";
import { meterHome, statePaths } from "../../core/paths.ts";
import { readSentinels } from "../../core/service/sentinels.ts";
import type { Supervisor, Unavailable } from "../../core/service/supervisor.ts";
import { ServiceError } from "../../core/service/errors.ts";
import { EXIT, UserError } from "../_errors.ts";
import { pickPlatform, userHome } from "../_platform.ts";
import { terminalWidth } from "../_read.ts";

/** Doctor must diagnose a broken install, not die of it: a bad config or supervisor is a finding. */
async function context(): Promise<DoctorContext> {
  const paths = statePaths(meterHome());
  const loaded = loadConfig(paths.config);
  const sentinels = readSentinels(paths);
  let supervisor: Supervisor | null = null;
  let supervisorError: Unavailable | null = null;
  try {
    supervisor = (await pickPlatform({ home: paths.home, recorded: sentinels.supervisor })).supervisor;
    supervisorError = await supervisor.unavailable();
  } catch (err) {
    if (!(err instanceof UserError || err instanceof ServiceError)) throw err;
    supervisorError = { reason: err.message, hint: err.hint ?? "run `halton-meter status`" };
  }
  return doctorContext({
    paths,
    config: loaded.ok ? loaded.config : defaultConfig(),
    configError: loaded.ok ? null : formatConfigError(loaded.error),
    env: process.env,
    userHome: userHome(),
    shell: process.env.SHELL,
    sentinels,
    supervisor,
    supervisorError,
    health: (port) => createClient({ baseUrl: `http://127.0.0.1:${port}`, fetch: loopbackFetch, timeoutMs: 1500 }).health(),
    reachable: (port) => acceptsConnections(port),
  });
}

export default defineCommand({
  meta: {
    name: "doctor",
    description:
      "Check every part of the install (CA, trust bundle, shell env and rc block, ports, supervisor, daemon, edge, database, prices) and say what to do. Exit code: 0 HEALTHY, 1 INCONSISTENT, 2 BROKEN",
  },
  args: {
    json: { type: "boolean", description: "Print the findings as JSON" },
    fix: { type: "boolean", description: "Also list the safe repairs doctor can make" },
    apply: { type: "boolean", description: "With --fix: make those repairs, then check again" },
  },
  async run({ args }) {
    if (args.apply && !args.fix) throw new UserError("--apply goes with --fix", "run `halton-meter doctor --fix` to see the repairs, `--fix --apply` to make them", EXIT.usage);
    const term = createTerminal();
    const width = terminalWidth();
    const ctx = await context();
    const before = await runChecks(ctx);
    const planned = args.fix ? plannedRepairs(before.findings) : [];
    const applied = args.fix && args.apply ? await applyRepairs(ctx, before.findings) : null;
    // After repairs, look again with fresh eyes (nothing cached from the first pass).
    const after = applied ? await runChecks(await context()) : null;
    const final = after ?? before;

    if (args.json) {
      term.print(JSON.stringify({ verdict: final.verdict, exitCode: VERDICT_EXIT[final.verdict], checks: final.findings, ...(args.fix && { repairs: planned }), ...(applied && { applied, before: before.findings }) }, null, 2));
    } else {
      for (const line of renderReport(before, width)) term.print(line);
      if (args.fix && !applied) for (const line of renderPlan(planned, width)) term.print(line);
      if (applied && after) {
        for (const line of renderOutcomes(applied, width)) term.print(line);
        term.print("");
        for (const line of renderReport(after, width)) term.print(line);
      }
    }
    return VERDICT_EXIT[final.verdict];
  },
});
