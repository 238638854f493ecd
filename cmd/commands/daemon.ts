import { defineCommand } from "citty";
import { type Daemon, DaemonStartError, startDaemon } from "../../core/daemon/start.ts";
import { installCrashGuard } from "../../core/log/crash-guard.ts";
import { createJsonlLog } from "../../core/log/jsonl.ts";
import { followPriceDataFile } from "../../core/pricing/index.ts";
import { processRunner } from "../../core/service/runner.ts";
import { readSentinels } from "../../core/service/sentinels.ts";
import { VERSION } from "../../core/version.ts";
import { cliContext } from "../_context.ts";
import { UserError } from "../_errors.ts";
import { desktopNotifierFor, systemProxyFor } from "../_platform.ts";

export default defineCommand({
  meta: { name: "daemon", description: "Run the metering daemon in the foreground (the supervisor starts it)", hidden: true },
  async run() {
    const { paths, config, term } = cliContext();
    const log = createJsonlLog({ file: paths.daemonLog, maxBytes: config.log.max_bytes, keep: config.log.keep });
    installCrashGuard(log, "daemon");
    // Rows are priced with the data `pricing update` installed, looked at again (async) once a second.
    followPriceDataFile(paths.priceData, { onChange: ({ data, warning }) => log.event("pricing.data", { source: data.source, origin: data.origin, warning: warning ?? undefined }, warning ? "warn" : "info") });
    const systemProxy = systemProxyFor({ home: paths.home, recorded: readSentinels(paths).supervisor, run: (argv, o) => processRunner(argv, { ...o, timeoutMs: 5_000 }) });

    let daemon: Daemon;
    try {
      const notifier = desktopNotifierFor((reason) => log.event("budget.notify_failed", { reason }, "warn"));
      daemon = startDaemon({ paths, config, log, systemProxy, notifier });
    } catch (err) {
      if (err instanceof DaemonStartError) throw new UserError(err.message, err.hint);
      throw err;
    }
    term.info(`halton-meter daemon ${VERSION}: MITM on 127.0.0.1:${daemon.ports.internal}, API on 127.0.0.1:${daemon.ports.api}`);

    // The first signal stops the daemon; a second one meanwhile changes nothing.
    const signal = await new Promise<string>((resolve) => {
      process.on("SIGTERM", () => resolve("SIGTERM"));
      process.on("SIGINT", () => resolve("SIGINT"));
    });
    await daemon.stop(config.daemon.shutdown_grace_ms, signal);
    log.close();
    return 0;
  },
});
