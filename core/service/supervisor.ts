// The one interface every platform's supervisor implements (systemd user units, launchd agents,
// or detached processes with pid files). `cmd/` picks one at run time; `core/` never imports
// `platform/`, so what the commands need from a supervisor is written down here.

/** The long-running pieces of an install. Linux has no watchdog or userenv. */
export type ServiceName = "daemon" | "edge" | "watchdog" | "userenv";

export type SupervisorKind = "systemd" | "launchd" | "fallback";

/** apps: proxy env in shells and (macOS) GUI apps; full: also the system proxy; env-only: shells. */
export type InstallMode = "apps" | "full" | "env-only";

/** What to run for one service, independent of how a platform writes it down. */
export interface ServiceSpec {
  name: ServiceName;
  /** Executable and arguments, absolute paths. */
  argv: string[];
  /** Environment for the process; HALTON_METER_HOME is always in it. */
  env: Record<string, string>;
  /** Files the supervisor sends stdout and stderr to (daemon.err.log... as seed 002 tails them). */
  stdoutLog: string;
  stderrLog: string;
}

export interface InstallPlan {
  home: string;
  mode: InstallMode;
  services: ServiceSpec[];
}

export type ServiceState = "running" | "stopped" | "failed" | "not-installed" | "not-applicable";

export interface ServiceStatus {
  name: ServiceName;
  state: ServiceState;
  /** The pid the supervisor or pid file gives; never found by scanning process names. */
  pid: number | null;
  /** A short human explanation: "active (running) since ...", "not on Linux: ...". */
  detail: string;
}

/** Why a supervisor cannot be used here, in words a person can act on. */
export interface Unavailable {
  reason: string;
  hint: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs an external program (systemctl, launchctl...). Injected so tests can record the calls. */
export type Runner = (argv: string[], opts?: { env?: Record<string, string | undefined>; timeoutMs?: number }) => Promise<RunResult>;

export interface Supervisor {
  readonly kind: SupervisorKind;
  /** One line for `status`: "systemd user manager", "fallback: nothing restarts these processes". */
  describe(): string;
  /** Null when usable; otherwise why not (no user bus, XDG_RUNTIME_DIR unset...). */
  unavailable(): Promise<Unavailable | null>;
  /**
   * Writes the units (plists, pid-file layout) for `plan` and registers them, idempotently.
   * `clean` discards previous files first instead of reconciling with them.
   */
  install(plan: InstallPlan, opts: { clean: boolean }): Promise<void>;
  /** Starts (or restarts, when `restart`) one service and returns once the supervisor has it. */
  start(name: ServiceName, opts?: { restart?: boolean }): Promise<void>;
  /** Stops one service by the pid its supervisor knows; stopping a stopped one is not an error. */
  stop(name: ServiceName): Promise<void>;
  status(): Promise<ServiceStatus[]>;
  /** Unregisters and deletes the units of `names` (stopping them). Never touches state files. */
  remove(names: ServiceName[]): Promise<void>;
  /**
   * `uninstall --graceful`: deletes the units of `names` so nothing starts them again at login or
   * boot, but leaves their running processes alone (the edge keeps serving in passthrough until
   * reboot). A later `remove` still stops them by pid.
   */
  release(names: ServiceName[]): Promise<void>;
  /** The rescue step: clear failed/respawn state and kill our recorded pids. Returns what it did. */
  reset(): Promise<string[]>;
}

/** The macOS system proxy in `full` mode. */
export interface SystemProxy {
  /** Snapshots every network service's web proxies, then points them at 127.0.0.1:port. */
  enable(port: number): Promise<void>;
  /** Puts the snapshot back exactly; returns what it did. */
  restore(): Promise<string[]>;
  /** Sentinel-blind: turns our proxy off wherever it points at us; safe with nothing installed. */
  reset(): Promise<string[]>;
}
