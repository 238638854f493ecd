import { existsSync, readdirSync, rmSync } from "node:fs";
import { defineCommand } from "citty";
import { foreignEntries } from "../../core/paths.ts";
import { servicesFor } from "../../core/service/plan.ts";
import { allRcFiles, removeRcBlock } from "../../core/service/rc-block.ts";
import { clearSentinels, setGracefulStop, setProxyManaged } from "../../core/service/sentinels.ts";
import { ServiceError } from "../../core/service/errors.ts";
import { EXIT, UserError } from "../_errors.ts";
import { userHome } from "../_platform.ts";
import { confirm, interactive, lifecycleContext, printPanel } from "./_lifecycle.ts";

// Every uninstall unregisters the services (or a supervisor would bring them back at login) and
// removes the shell rc block (a new shell must never point at a port nobody will listen on).
// --purge also removes our state files; only --purge --include-logs touches the user's data.
export default defineCommand({
  meta: { name: "uninstall", description: "Stop and unregister the meter; --purge removes its state files, --purge --include-logs also the data, config, CA and logs" },
  args: {
    graceful: { type: "boolean", description: "Leave the edge running in passthrough until reboot, so running tools keep working" },
    purge: { type: "boolean", description: "Also remove sentinels, pid files, effective-ports.json and the trust bundle (data, config and CA stay)" },
    "include-logs": { type: "boolean", description: "With --purge: delete the whole meter folder (db.sqlite, config.toml, the CA, logs)" },
    yes: { type: "boolean", description: "Do not ask before deleting data" },
    "non-interactive": { type: "boolean", description: "Never ask (then --include-logs needs --yes)" },
  },
  async run({ args }) {
    if (args["include-logs"] && !args.purge) throw new UserError("--include-logs only goes with --purge", "halton-meter uninstall --purge --include-logs", EXIT.usage);
    if (args["include-logs"] && args.graceful) {
      throw new UserError("--graceful keeps the edge and the trust files that running tools use; --include-logs deletes them", "choose one: uninstall --graceful, or uninstall --purge --include-logs", EXIT.usage);
    }
    const { paths, term, platform, sentinels } = await lifecycleContext({ lenient: true });
    const foreign = args["include-logs"] && existsSync(paths.home) ? foreignEntries(paths, readdirSync(paths.home)) : [];
    if (foreign.length) {
      const named = foreign.slice(0, 5).join(", ") + (foreign.length > 5 ? ` and ${foreign.length - 5} more` : "");
      throw new UserError(`${paths.home} holds files Halton Meter did not create (${named}); nothing was changed`, "check HALTON_METER_HOME; move those files elsewhere (or delete the folder yourself), then run this again");
    }
    if (args["include-logs"] && !args.yes) {
      if (!interactive(args["non-interactive"])) throw new UserError(`refusing to delete ${paths.home} (db.sqlite, config.toml, the CA, logs) without --yes: nobody is here to confirm`, "add --yes if that is what you want");
      if (!(await confirm(`Delete ${paths.home} with every captured request, config.toml, the CA and the logs? This cannot be undone.`, false))) {
        term.print("nothing was changed");
        return EXIT.failed;
      }
    }
    const sup = platform.supervisor;
    const rows: Array<readonly [string, string]> = [];
    const names = servicesFor(sup.kind);
    if (args.graceful) {
      await sup.remove(names.filter((n) => n !== "edge"));
      rows.push(["daemon", `stopped and removed from ${sup.kind}`]);
      await sup.release(["edge"]);
      rows.push(["edge", "left running in passthrough until reboot; its unit is removed, so nothing starts it again"]);
      setGracefulStop(paths, true, "uninstalled gracefully: the edge serves in passthrough until reboot");
    } else {
      await sup.remove(names);
      rows.push(["services", `${names.join(", ")} stopped and removed from ${sup.kind}`]);
    }
    const rc = removeRcBlock(allRcFiles(userHome()));
    rows.push(["shell rc", rc.length ? `block removed from ${rc.join(", ")} (open a new shell)` : "no block found"]);
    if (platform.systemProxy && sentinels.proxyManaged) {
      const restored = await platform.systemProxy.restore();
      setProxyManaged(paths, false);
      rows.push(["system proxy", restored.join("; ") || "restored"]);
    }
    let failed = false;
    if (args["include-logs"]) {
      // Only this command deletes the CA, so only it takes the CA's trust back out of the keychain.
      if (platform.keychain && existsSync(paths.caCert)) {
        try {
          const gone = await platform.keychain.untrust(paths.caCert);
          rows.push(["keychain", gone === "removed" ? `CA and its trust removed from ${platform.keychain.path}` : `CA was not in ${platform.keychain.path}`]);
        } catch (err) {
          failed = true;
          const hint = (err instanceof UserError || err instanceof ServiceError) && err.hint ? err.hint : 'remove it in Keychain Access: search for "Halton Meter"';
          rows.push(["keychain", `CA still trusted: ${(err as Error).message}; ${hint}`]);
        }
      }
      rmSync(paths.home, { recursive: true, force: true });
      rows.push(["data", `${paths.home} deleted: captured requests, config, CA and logs`]);
    } else if (args.purge) {
      clearSentinels(paths);
      const gone = [paths.effectivePorts, ...(args.graceful ? [] : [paths.run, paths.trustBundle])].filter((f) => existsSync(f));
      for (const f of gone) rmSync(f, { recursive: true, force: true });
      rows.push(["state", `sentinels${gone.length ? `, ${gone.join(", ")}` : ""} removed`]);
      rows.push(["kept", `${paths.db}, ${paths.config}, ${paths.caCert} and the logs (--include-logs deletes them)`]);
    } else rows.push(["kept", `${paths.home}: data, config, CA, sentinels (\`halton-meter init\` or \`rescue\` reinstalls)`]);
    printPanel(term, `Halton Meter uninstall${args.graceful ? " --graceful" : ""}${args.purge ? " --purge" : ""}${args["include-logs"] ? " --include-logs" : ""}`, rows);
    return failed ? EXIT.failed : EXIT.ok;
  },
});
