// Reads `launchctl print gui/<uid>/<label>`. Its format is for people, not a stable API, so
// only the top-level `key = value` lines are read and unknown ones are ignored.

export interface PrintedJob {
  /** "running", "not running", "spawn scheduled", "waiting"... as launchd words it. */
  state: string;
  pid: number | null;
  /** Null while the job has never exited. */
  lastExitCode: number | null;
  /** "Killed: 9" and the like, when the last run ended by a signal. */
  lastSignal: string | null;
  runs: number | null;
}

export function parsePrint(stdout: string): PrintedJob {
  const top = new Map<string, string>();
  let depth = 0;
  for (const raw of stdout.split("\n")) {
    const line = raw.trim();
    if (line === "}" || line === "};") {
      depth--;
      continue;
    }
    if (depth === 1) {
      const m = /^([a-z][a-z ]*?) = (.*)$/.exec(line);
      if (m && !m[2]!.endsWith("{")) top.set(m[1]!, m[2]!);
    }
    if (line.endsWith("{")) depth++;
  }
  const int = (key: string): number | null => {
    const m = /^-?\d+/.exec(top.get(key) ?? "");
    return m ? Number(m[0]) : null;
  };
  return {
    state: top.get("state") ?? "unknown",
    pid: int("pid"),
    lastExitCode: int("last exit code"),
    lastSignal: top.get("last terminating signal") ?? null,
    runs: int("runs"),
  };
}
