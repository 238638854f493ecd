import { join } from "node:path";
import { defineCommand } from "citty";
import { writeFileAtomic } from "../../core/fs/atomic.ts";
import { createJsonlLog } from "../../core/log/jsonl.ts";
import { readEffectivePorts } from "../../core/ports/index.ts";
import { fetchHealth } from "../../core/service/health.ts";
import { processRunner } from "../../core/service/runner.ts";
import { readSentinels } from "../../core/service/sentinels.ts";
import { createSystemProxy } from "../../platform/darwin/index.ts";
import { runWatchdog } from "../../platform/darwin/watchdog.ts";
import { cliContext } from "../_context.ts";
import { EXIT, UserError } from "../_errors.ts";

const whole = (value: string, flag: string, min: number): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UserError(`--${flag} must be a whole number of at least ${min}, not ${JSON.stringify(value)}`, undefined, EXIT.usage);
  return n;
};

export default defineCommand({
  meta: { name: "watchdog", description: "Turn the system proxy off when the daemon stops answering (launchd runs it; full mode)", hidden: true },
  args: {
    "interval-ms": { type: "string", description: "Time between /health probes", default: "1500" },
    failures: { type: "string", description: "Failed probes in a row before the system proxy goes off", default: "5" },
  },
  async run({ args }) {
    const { paths, config } = cliContext();
    const intervalMs = whole(args["interval-ms"], "interval-ms", 10);
    const failuresToTrip = whole(args.failures, "failures", 1);
    const log = createJsonlLog({ file: join(paths.home, "watchdog.log"), maxBytes: config.log.max_bytes, keep: config.log.keep });
    const stop = new AbortController();
    const onSignal = (signal: string) => () => {
      log.event("watchdog.stopping", { signal });
      stop.abort();
    };
    process.on("SIGTERM", onSignal("SIGTERM"));
    process.on("SIGINT", onSignal("SIGINT"));

    await runWatchdog(
      {
        async probe() {
          const ports = readEffectivePorts(paths.effectivePorts);
          if (!ports.ok) return { ok: false, why: ports.message };
          const r = await fetchHealth(ports.ports.api, Math.min(1000, intervalMs));
          return r.ok ? { ok: true } : { ok: false, why: r.why };
        },
        mode: () => readSentinels(paths).mode,
        proxy: createSystemProxy({ home: paths.home, run: processRunner }),
        // The sentinel stays present (start re-enables only when it is); its text says what happened.
        markProxyOff: (detail) => writeFileAtomic(paths.proxyManaged, `${detail}; \`halton-meter start\` turns it back on\n`),
        log,
        intervalMs,
        failuresToTrip,
      },
      stop.signal,
    );
    log.event("watchdog.exit", {});
    log.close();
    return EXIT.ok;
  },
});
