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
    trustBundle: join(home, "trust-bundle.pem"),
    run: join(home, "run"),
    postMortems: join(home, "post-mortems"),
  };
}

export type StatePaths = ReturnType<typeof statePaths>;
