import { join } from "node:path";
import type { InstallPlan, ServiceName, ServiceSpec } from "../../core/service/supervisor.ts";

/** An install plan like `init` builds, with programs the tests choose. */
export function planFor(meterHome: string, programs: Partial<Record<ServiceName, string[]>> = {}, mode: InstallPlan["mode"] = "apps"): InstallPlan {
  const service = (name: ServiceName, fallback: string[]): ServiceSpec => ({
    name,
    argv: programs[name] ?? fallback,
    env: { HALTON_METER_HOME: meterHome },
    stdoutLog: join(meterHome, `${name}.out.log`),
    stderrLog: join(meterHome, `${name}.err.log`),
  });
  return {
    home: meterHome,
    mode,
    services: [
      service("edge", ["/usr/local/bin/halton-meter-edge"]),
      service("daemon", ["/usr/local/bin/halton-meter", "daemon"]),
      service("watchdog", ["/usr/local/bin/halton-meter", "watchdog"]),
      service("userenv", ["/usr/local/bin/halton-meter", "userenv"]),
    ],
  };
}
