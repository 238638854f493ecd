import { defineCommand } from "citty";
import { waitHealthy } from "../../core/service/health.ts";
import { tailLines } from "../../core/service/log-tail.ts";
import { setGracefulStop } from "../../core/service/sentinels.ts";
import type { ServiceName } from "../../core/service/supervisor.ts";
import { readEffectivePorts } from "../../core/ports/index.ts";
import { EXIT, UserError } from "../_errors.ts";
import { lifecycleContext, printPanel } from "./_lifecycle.ts";

export default defineCommand({
  meta: { name: "start", description: "Start the daemon (and the watchdog on macOS), then wait up to 30 s for /health; the edge is left as it is" },
  args: {
    quiet: { type: "boolean", description: "One line, for shell rc helpers and scripts" },
  },
  async run({ args }) {
    const { paths, term, platform, sentinels } = await lifecycleContext();
    const sup = platform.supervisor;
    const rows = await sup.status();
    const state = (name: ServiceName) => rows.find((r) => r.name === name)?.state;
    if (state("daemon") === "not-installed") throw new UserError("Halton Meter is not installed here", "run `halton-meter init`");

    // The edge is never restarted here; only an edge that is not running at all is started.
    const edgeWasUp = state("edge") === "running";
    if (!edgeWasUp) await sup.start("edge");
    const daemonWasUp = state("daemon") === "running";
    if (!daemonWasUp) await sup.start("daemon");
    const watchdog = state("watchdog");
    if (watchdog !== undefined && watchdog !== "not-applicable" && watchdog !== "running") await sup.start("watchdog");
    setGracefulStop(paths, false);

    const ports = readEffectivePorts(paths.effectivePorts);
    if (!ports.ok) throw new UserError(ports.message, "run `halton-meter init` to choose and record the ports");
    const { edge, api } = ports.ports;
    const health = await waitHealthy(api, { timeoutMs: 30_000, intervalMs: 500 });
    const edgeNote = edgeWasUp ? "already up" : "started: it was not running";
    if (args.quiet) {
      term.print(health.ok ? `halton-meter: daemon healthy (api 127.0.0.1:${api}, edge 127.0.0.1:${edge})` : `halton-meter: daemon not healthy after 30 s: ${health.why}`);
    } else {
      printPanel(term, "Halton Meter start", [
        ["daemon", daemonWasUp ? "already running" : `started (${sup.kind})`],
        ...(watchdog !== undefined && watchdog !== "not-applicable" ? [["watchdog", watchdog === "running" ? "already running" : "started"] as const] : []),
        ["edge", `127.0.0.1:${edge} (${edgeNote})`],
        // The daemon does it at startup (core/service/daemon-proxy.ts), so every way it starts counts.
        ...(platform.systemProxy && sentinels.mode === "full" && sentinels.proxyManaged ? [["system proxy", `full mode: the daemon points it at 127.0.0.1:${edge} as it starts (daemon.log says if networksetup refused)`] as const] : []),
        ["health", health.ok ? `healthy  api: 127.0.0.1:${api}  version ${health.answer.version ?? "?"}, pid ${health.answer.pid ?? "?"}` : `not healthy after 30 s: ${health.why}`],
      ]);
    }
    if (health.ok) return EXIT.ok;
    if (!args.quiet) {
      for (const l of tailLines(paths.daemonLog, 15)) term.print(l);
      term.hint("`halton-meter status` shows the supervisor's view; `halton-meter rescue` rebuilds the services; the edge keeps your tools working in passthrough meanwhile");
    }
    return EXIT.failed;
  },
});
