import { homedir } from "node:os";
import { join } from "node:path";

/** Where every piece of state lives: `HALTON_METER_HOME`, else `~/.halton-meter`. */
export function meterHome(env: Record<string, string | undefined> = process.env): string {
  const override = env.HALTON_METER_HOME;
  if (override && override.trim() !== "") return override;
  return join(env.HOME && env.HOME !== "" ? env.HOME : homedir(), ".halton-meter");
}

/** The named files under the meter's home folder. */
export function statePaths(home: string) {
  return {
    home,
    config: join(home, "config.toml"),
    db: join(home, "db.sqlite"),
    effectivePorts: join(home, "effective-ports.json"),
    daemonLog: join(home, "daemon.log"),
    edgeLog: join(home, "edge.log"),
    caCert: join(home, "ca.pem"),
    caKey: join(home, "ca-key.pem"),
    leafKey: join(home, "leaf-key.pem"),
    trustBundle: join(home, "trust-bundle.pem"),
    run: join(home, "run"),
    postMortems: join(home, "post-mortems"),
    // Sentinels (core/service/sentinels.ts): what `init` installed, for start, rescue and doctor.
    installMode: join(home, "install-mode"),
    supervisorKind: join(home, "supervisor"),
    proxyManaged: join(home, "proxy-managed"),
    gracefulStop: join(home, "graceful-stop"),
  };
}

export type StatePaths = ReturnType<typeof statePaths>;
