import { defineCommand } from "citty";
import type { Terminal } from "../../core/log/terminal.ts";
import { install, type InstallOutcome } from "../../core/service/install.ts";
import { programsFor } from "../../core/service/plan.ts";
import { rcFilesFor } from "../../core/service/rc-block.ts";
import type { InstallMode } from "../../core/service/supervisor.ts";
import { EXIT, UserError } from "../_errors.ts";
import { supervisorOf, userHome } from "../_platform.ts";
import { confirm, interactive, type LifecycleContext, lifecycleContext, printPanel, userErrors } from "./_lifecycle.ts";

export const MODE_ARGS = {
  apps: { type: "boolean", description: "Proxy env for shells (and, on macOS, apps from the Dock); --no-apps: shells only" },
  full: { type: "boolean", description: "Also point the system proxy at the meter (macOS only)" },
} as const;

/** --apps / --full / --no-apps, or null when none was given. */
export function modeFromFlags(args: { apps?: boolean; full?: boolean }): InstallMode | null {
  if (args.full && args.apps !== undefined) throw new UserError("choose one of --apps, --full and --no-apps", undefined, EXIT.usage);
  if (args.full) return "full";
  if (args.apps === false) return "env-only";
  return args.apps ? "apps" : null;
}

/** The shared body of `init` and `rescue`: install, then report in a panel. */
export async function runInit(ctx: LifecycleContext, opts: { mode: InstallMode; clean: boolean; shellRc: boolean; title: string }): Promise<InstallOutcome> {
  const { supervisor, systemProxy, keychain } = ctx.platform;
  const recorded = ctx.sentinels.supervisor;
  const previous = recorded && recorded !== supervisor.kind ? supervisorOf(recorded, { home: ctx.paths.home }) : null;
  const outcome = await userErrors(() =>
    install(
      { paths: ctx.paths, config: ctx.config, supervisor, systemProxy, keychain, previous, programs: programsFor({ execPath: process.execPath, main: Bun.main }), userHome: userHome(), shell: process.env.SHELL },
      { mode: opts.mode, clean: opts.clean, shellRc: opts.shellRc },
    ),
  );
  reportInstall(ctx.term, ctx, outcome, opts.title);
  return outcome;
}

function reportInstall(term: Terminal, ctx: LifecycleContext, outcome: InstallOutcome, title: string): void {
  const rows = outcome.steps.map(([l, d]) => [l, d] as const);
  for (const s of outcome.selfTest.steps) rows.push([`self-test ${s.name}`, `${s.ok ? "ok" : "FAILED"}: ${s.detail}`]);
  const footer: string[] = [];
  const over = ctx.platform.passedOver;
  if (over) footer.push(`${over.kind} not used: ${over.reason}. ${over.hint}.`);
  if (ctx.platform.supervisor.kind === "fallback") footer.push("Fallback supervisor: nothing restarts the meter after a crash or a reboot; run `halton-meter start` then.");
  if (outcome.ok) footer.push(`Self-test passed in ${(outcome.selfTest.ms / 1000).toFixed(1)} s. New shells use the meter; in this one: eval "$(halton-meter setup --quiet)" and export HTTPS_PROXY=http://127.0.0.1:${outcome.ports.edge}`);
  printPanel(term, title, rows, footer);
  if (outcome.ok) return;
  term.error(`self-test failed after ${(outcome.selfTest.ms / 1000).toFixed(1)} s`);
  if (outcome.logTail.length) {
    term.print(`--- daemon log tail (${ctx.paths.daemonLog}, daemon.err.log) ---`);
    for (const l of outcome.logTail) term.print(l);
  }
  if (outcome.rolledBack) for (const l of outcome.rolledBack) term.warn(`rolled back: ${l}`);
  term.hint("`halton-meter status` and `halton-meter doctor` say more; the edge keeps your tools working in passthrough meanwhile");
}

export default defineCommand({
  meta: { name: "init", description: "Install and start the meter (CA, ports, services, shell rc block), then self-test it" },
  args: {
    ...MODE_ARGS,
    clean: { type: "boolean", description: "Rebuild the service units from scratch; roll back if the self-test fails (data is kept)" },
    "non-interactive": { type: "boolean", description: "Never ask (scripts, `make install`)" },
    "shell-rc": { type: "boolean", default: true, description: "Write the proxy/trust env block into ~/.bashrc and ~/.zshrc (--no-shell-rc skips it)" },
  },
  async run({ args }) {
    const flagged = modeFromFlags(args);
    const ctx = await lifecycleContext({ fresh: true });
    if (flagged === "full" && !ctx.platform.systemProxy) {
      throw new UserError("--full is not available here: full mode manages the system proxy, and Linux has none for Halton Meter to manage", "use --apps (the default: every new shell gets the proxy env) or --no-apps", EXIT.usage);
    }
    const mode = flagged ?? (ctx.sentinels.mode === "full" && !ctx.platform.systemProxy ? "apps" : ctx.sentinels.mode) ?? "apps";
    let shellRc = args["shell-rc"] !== false;
    if (shellRc && interactive(args["non-interactive"])) {
      shellRc = await confirm(`Add the proxy and trust env to ${rcFilesFor(userHome(), process.env.SHELL).join(" and ")}?`, true);
    }
    const outcome = await runInit(ctx, { mode, clean: args.clean === true, shellRc, title: `Halton Meter init (${mode}, ${ctx.platform.supervisor.kind})` });
    return outcome.ok ? EXIT.ok : EXIT.failed;
  },
});
