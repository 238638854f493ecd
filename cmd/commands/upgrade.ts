import { defineCommand } from "citty";
import { readEffectivePorts } from "../../core/ports/index.ts";
import { acceptsConnections } from "../../core/ports/probe.ts";
import { waitHealthy } from "../../core/service/health.ts";
import { tailLines } from "../../core/service/log-tail.ts";
import { buildInstallPlan, programsFor } from "../../core/service/plan.ts";
import { binaryStaleness } from "../../core/service/stale.ts";
import { EXIT, UserError } from "../_errors.ts";
import { lifecycleContext, printPanel, userErrors } from "./_lifecycle.ts";

// What install.sh runs after renaming new binaries into place: the services are re-registered
// (their files name the same paths, so usually nothing changes), the daemon is restarted onto
// the new binary, and the edge, which owns the port users' tools talk to, only when its own
// binary changed. A daemon the user stopped on purpose stays stopped.
export default defineCommand({
  meta: { name: "upgrade", description: "Restart the running meter on the binaries installed now (install.sh runs this); the edge restarts only if its own binary changed" },
  args: {
    "edge-changed": { type: "boolean", description: "The edge's binary was replaced too: restart it (install.sh passes this)" },
    quiet: { type: "boolean", description: "One line" },
  },
  async run({ args }) {
    const { paths, term, platform, sentinels } = await lifecycleContext();
    if (!sentinels.mode) {
      term.print("halton-meter: not set up here, so there is nothing to restart (`halton-meter init` sets it up)");
      return EXIT.ok;
    }
    const sup = platform.supervisor;
    const programs = programsFor({ execPath: process.execPath, main: Bun.main });
    await userErrors(() => sup.install(buildInstallPlan({ home: paths.home, mode: sentinels.mode!, kind: sup.kind, programs }), { clean: false }));
    const ports = readEffectivePorts(paths.effectivePorts);
    if (!ports.ok) throw new UserError(ports.message, "run `halton-meter init` to choose and record the ports");
    const before = await sup.status();
    const rows: Array<readonly [string, string]> = [];

    const edge = before.find((r) => r.name === "edge");
    const edgeReplaced = args["edge-changed"] || (programs.compiled && edge?.pid ? binaryStaleness(edge.pid, programs.edge[0]!) === "replaced" : false);
    if (edge?.state !== "running") {
      await sup.start("edge");
      rows.push(["edge", "started: it was not running"]);
    } else if (edgeReplaced) {
      const t0 = performance.now();
      await sup.start("edge", { restart: true });
      const back = await waitListening(ports.ports.edge, 10_000);
      rows.push(["edge", back ? `restarted on its new binary; port ${ports.ports.edge} answered again after ${Math.round(performance.now() - t0)} ms` : `restarted, but port ${ports.ports.edge} is not answering yet`]);
    } else {
      rows.push(["edge", `kept running (pid ${edge.pid}): its binary did not change, so port ${ports.ports.edge} never closed`]);
    }

    let healthy = true;
    if (sentinels.gracefulStop) {
      rows.push(["daemon", "stopped on purpose: left stopped (`halton-meter start` starts it on the new binary)"]);
    } else {
      await sup.start("daemon", { restart: true });
      if (before.some((r) => r.name === "watchdog" && r.state !== "not-applicable")) await sup.start("watchdog", { restart: true });
      const health = await waitHealthy(ports.ports.api, { timeoutMs: 30_000, intervalMs: 250 });
      healthy = health.ok;
      rows.push(["daemon", health.ok ? `restarted: healthy, version ${health.answer.version ?? "?"}, pid ${health.answer.pid ?? "?"}` : `restarted, but not healthy after 30 s: ${health.why}`]);
    }

    if (args.quiet) term.print(`halton-meter: upgraded (${rows.map(([k, v]) => `${k} ${v.split(":")[0]}`).join(", ")})`);
    else printPanel(term, "Halton Meter upgrade", rows, ["The edge passes requests straight through while the daemon restarts: tools see no failure, a few requests go unmetered."]);
    if (healthy) return EXIT.ok;
    for (const l of tailLines(paths.daemonLog, 15)) term.print(l);
    term.hint("`halton-meter doctor` says what is wrong; your tools keep working through the edge meanwhile");
    return EXIT.failed;
  },
});

async function waitListening(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await acceptsConnections(port, 200)) return true;
    await Bun.sleep(5);
  }
  return false;
}
