import { defineCommand } from "citty";
import { allRcFiles, hasRcBlock } from "../../core/service/rc-block.ts";
import { UserError } from "../_errors.ts";
import { userHome } from "../_platform.ts";
import { MODE_ARGS, modeFromFlags, runInit } from "./init.ts";
import { lifecycleContext } from "./_lifecycle.ts";

/** Seed 000: 0 rescued, 1 aborted (no prior install, or no mode to rescue it in), 2 self-test failed. */
export const RESCUE_EXIT = { ok: 0, aborted: 1, selfTestFailed: 2 } as const;

export default defineCommand({
  meta: { name: "rescue", description: "Aggressive reset of a broken supervisor, then init --clean; keeps db.sqlite, config.toml and the CA (exit 0 ok, 1 aborted, 2 self-test failed)" },
  args: { ...MODE_ARGS },
  async run({ args }) {
    const flagged = modeFromFlags(args);
    const ctx = await lifecycleContext();
    const { term, sentinels } = ctx;
    const sup = ctx.platform.supervisor;
    const rows = await sup.status();
    const installed = sentinels.mode !== null || rows.some((r) => r.state !== "not-installed" && r.state !== "not-applicable");
    if (!installed) throw new UserError("rescue aborted: no prior install detected here", "run `halton-meter init` instead", RESCUE_EXIT.aborted);
    const mode = flagged ?? sentinels.mode;
    if (!mode) throw new UserError("rescue aborted: the install mode is unknown (its sentinel is gone)", "say which: halton-meter rescue --apps (or --no-apps)", RESCUE_EXIT.aborted);
    if (mode === "full" && !ctx.platform.systemProxy) throw new UserError("rescue aborted: full mode needs a system proxy to manage, and this platform has none", "halton-meter rescue --apps", RESCUE_EXIT.aborted);

    term.info("Rescue: aggressive reset. Keeps db.sqlite, config.toml and the CA; rebuilds the supervisor state.");
    term.info(`1/2  Resetting ${sup.kind}...`);
    for (const line of await sup.reset()) term.info(`     ${line}`);
    term.info(`2/2  Running halton-meter init --clean --${mode === "env-only" ? "no-apps" : mode}, then the self-test (up to 30 s)...`);
    const fresh = await lifecycleContext({ fresh: true });
    // The rc block is rewritten from scratch where there is one; an install made with --no-shell-rc stays without.
    const shellRc = hasRcBlock(allRcFiles(userHome()));
    const outcome = await runInit(fresh, { mode, clean: true, shellRc, title: `Halton Meter rescue (${mode}, ${fresh.platform.supervisor.kind})` });
    if (outcome.ok) {
      term.success("Rescue complete.");
      return RESCUE_EXIT.ok;
    }
    term.hint("try `halton-meter doctor` next");
    return RESCUE_EXIT.selfTestFailed;
  },
});
