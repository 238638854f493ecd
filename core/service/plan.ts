// What `init` asks a supervisor to run: the programs (the installed binaries, or `bun` with the
// sources when run from a checkout), their environment and their log files.

import { dirname, join } from "node:path";
import type { InstallMode, InstallPlan, ServiceName, ServiceSpec, SupervisorKind } from "./supervisor.ts";

export interface Programs {
  /** argv prefix of the CLI: `[/usr/local/bin/halton-meter]` or `[bun, /src/cmd/halton-meter.ts]`. */
  meter: string[];
  edge: string[];
  compiled: boolean;
}

/** A `bun build --compile` binary runs its entry from Bun's embedded file system. */
export const isCompiled = (main: string): boolean => main.startsWith("/$bunfs/") || /^[A-Za-z]:[\\/]~BUN[\\/]/.test(main);

/**
 * The programs of this installation, from the running process: a compiled `halton-meter` has
 * `halton-meter-edge` beside it; a source run (`bun cmd/halton-meter.ts`) has `cmd/edge.ts`.
 */
export function programsFor(running: { execPath: string; main: string }): Programs {
  if (isCompiled(running.main)) return { meter: [running.execPath], edge: [join(dirname(running.execPath), "halton-meter-edge")], compiled: true };
  return { meter: [running.execPath, running.main], edge: [running.execPath, join(dirname(running.main), "edge.ts")], compiled: false };
}

/** The services each supervisor runs: the watchdog and userenv agents exist only under launchd. */
export function servicesFor(kind: SupervisorKind): ServiceName[] {
  return kind === "launchd" ? ["edge", "daemon", "watchdog", "userenv"] : ["edge", "daemon"];
}

export function buildInstallPlan(opts: { home: string; mode: InstallMode; kind: SupervisorKind; programs: Programs }): InstallPlan {
  const argv: Record<ServiceName, string[]> = {
    edge: opts.programs.edge,
    daemon: [...opts.programs.meter, "daemon"],
    watchdog: [...opts.programs.meter, "watchdog"],
    userenv: [...opts.programs.meter, "userenv"],
  };
  const services: ServiceSpec[] = servicesFor(opts.kind).map((name) => ({
    name,
    argv: argv[name],
    env: { HALTON_METER_HOME: opts.home },
    stdoutLog: join(opts.home, `${name}.out.log`),
    stderrLog: join(opts.home, `${name}.err.log`),
  }));
  return { home: opts.home, mode: opts.mode, services };
}
