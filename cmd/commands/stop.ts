import { defineCommand } from "citty";
import { readEffectivePorts } from "../../core/ports/index.ts";
import { setGracefulStop } from "../../core/service/sentinels.ts";
import { EXIT, UserError } from "../_errors.ts";
import { lifecycleContext, printPanel } from "./_lifecycle.ts";

export default defineCommand({
  meta: { name: "stop", description: "Stop the daemon (and the watchdog on macOS); the edge keeps the port and tunnels raw until `start`" },
  args: {
    quiet: { type: "boolean", description: "One line" },
  },
  async run({ args }) {
    const { paths, term, platform } = await lifecycleContext({ lenient: true });
    const sup = platform.supervisor;
    const rows = await sup.status();
    const daemon = rows.find((r) => r.name === "daemon");
    if (!daemon || daemon.state === "not-installed") throw new UserError("Halton Meter is not installed here", "run `halton-meter init`");
    await sup.stop("daemon");
    const watchdog = rows.find((r) => r.name === "watchdog");
    if (watchdog && watchdog.state !== "not-applicable" && watchdog.state !== "not-installed") await sup.stop("watchdog");
    setGracefulStop(paths, true, "stopped by `halton-meter stop`");

    const ports = readEffectivePorts(paths.effectivePorts);
    const edgeAt = ports.ok ? `127.0.0.1:${ports.ports.edge}` : "its port";
    const edgeUp = rows.find((r) => r.name === "edge")?.state === "running";
    const edgeLine = edgeUp ? `keeps ${edgeAt}: your tools go direct (passthrough) until \`halton-meter start\`` : "not running (start brings it back)";
    if (args.quiet) term.print(`halton-meter: daemon stopped${daemon.pid ? ` (was pid ${daemon.pid})` : ""}; edge ${edgeUp ? `keeps ${edgeAt}` : "not running"}`);
    else {
      printPanel(term, "Halton Meter stop", [
        ["daemon", daemon.state === "running" ? `stopped (was pid ${daemon.pid ?? "?"})` : `was not running (${daemon.detail})`],
        ...(watchdog && watchdog.state !== "not-applicable" ? [["watchdog", "stopped"] as const] : []),
        ["edge", edgeLine],
      ]);
    }
    return EXIT.ok;
  },
});
