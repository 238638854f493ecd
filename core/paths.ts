import { homedir } from "node:os";
import { basename, join } from "node:path";

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
    // genai-prices data installed by `pricing update`, used over the bundled data (core/pricing/data.ts).
    priceData: join(home, "genai-prices.json"),
    budgetAlerts: join(home, "budget-alerts.json"),
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

/** Names the meter creates in its folder, beyond statePaths: WAL files, logs and their rotations, temp files. */
const METER_NAMES = new Set(["db.sqlite-wal", "db.sqlite-shm", "db.sqlite-journal", "system-proxy-snapshot.json"]);
const METER_PATTERNS = [/^[\w.-]+\.log(\.\d+)?$/, /^\..+\.[0-9a-f]{12}\.tmp$/];

/**
 * Entries of the meter's folder that the meter did not create. Deleting the folder whole is safe
 * only when this is empty: a HALTON_METER_HOME pointed at $HOME or a project by mistake holds
 * somebody's files.
 */
export function foreignEntries(paths: StatePaths, entries: readonly string[]): string[] {
  const { home: _home, ...files } = paths;
  const ours = new Set(Object.values(files).map((p) => basename(p)));
  return entries.filter((name) => !ours.has(name) && !METER_NAMES.has(name) && !METER_PATTERNS.some((re) => re.test(name)));
}
