import { defineCommand } from "citty";
import { createTerminal } from "../../core/log/terminal.ts";
import { meterHome } from "../../core/paths.ts";
import { allRcFiles, removeRcBlock } from "../../core/service/rc-block.ts";
import { EXIT } from "../_errors.ts";
import { systemProxyFor, userHome } from "../_platform.ts";
import { printPanel } from "./_lifecycle.ts";

// The escape hatch: sentinel-blind and config-independent (a broken config.toml must not stop
// it), safe with nothing installed. Where a system proxy exists (macOS) it is turned off
// wherever it points at us. Linux has none, so the proxy that can strand a user is the one in
// the shell rc block: that block goes, and new shells connect directly; `init` puts it back.
export default defineCommand({
  meta: { name: "reset-proxy", description: "Turn off every proxy setting Halton Meter made (safe with nothing installed): the system proxy on macOS, the shell rc block on Linux" },
  args: {},
  async run() {
    const term = createTerminal();
    const rows: Array<readonly [string, string]> = [];
    const footer: string[] = [];
    // One part failing (networksetup refusing) must not stop the other: each is tried and reported.
    let failed = false;
    const systemProxy = systemProxyFor({ home: meterHome() });
    if (systemProxy) {
      try {
        rows.push(["system proxy", (await systemProxy.reset()).join("; ") || "nothing pointed at Halton Meter"]);
      } catch (err) {
        failed = true;
        rows.push(["system proxy", `NOT reset: ${(err as Error).message}`]);
        footer.push("Turn it off by hand: System Settings > Network > (each service) > Details > Proxies, or networksetup -setsecurewebproxystate <service> off");
      }
    } else rows.push(["system proxy", "none on this platform: Halton Meter never sets one here"]);
    try {
      const changed = removeRcBlock(allRcFiles(userHome()));
      rows.push(["shell rc", changed.length ? `proxy and trust env block removed from ${changed.join(", ")}: new shells connect directly` : "no Halton Meter block in ~/.bashrc or ~/.zshrc"]);
    } catch (err) {
      failed = true;
      rows.push(["shell rc", `NOT cleaned: ${(err as Error).message}`]);
      footer.push("Delete the lines between the Halton Meter markers in ~/.bashrc and ~/.zshrc by hand.");
    }
    footer.push("Shells already open keep their variables: unset HTTPS_PROXY https_proxy HTTP_PROXY http_proxy", "`halton-meter init` turns the meter back on.");
    printPanel(term, "Halton Meter reset-proxy", rows, footer);
    return failed ? EXIT.failed : EXIT.ok;
  },
});
