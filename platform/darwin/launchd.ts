// The launchd supervisor: four LaunchAgents in ~/Library/LaunchAgents, driven with the modern
// `launchctl bootstrap|kickstart|bootout|print` verbs (never the deprecated `load -w`).

import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../../core/fs/atomic.ts";
import { statePaths } from "../../core/paths.ts";
import type { InstallPlan, Runner, ServiceName, ServiceStatus, Supervisor, Unavailable } from "../../core/service/supervisor.ts";
import { ServiceError } from "../../core/service/errors.ts";
import { agentPlist, LABELS, plistPath, SERVICE_NAMES } from "./agents.ts";
import { bootstrapWithRetry, firstLine } from "./bootstrap.ts";
import { type PrintedJob, parsePrint } from "./launchctl-print.ts";
import { renderPlist } from "./plist.ts";

export interface LaunchdOptions {
  /** HALTON_METER_HOME: post-mortems go under it. */
  home: string;
  /** The user's home: LaunchAgents live in its Library. */
  userHome: string;
  uid: number;
  run: Runner;
  sleep?: (ms: number) => Promise<void>;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

export function createLaunchdSupervisor(opts: LaunchdOptions): Supervisor {
  const domain = `gui/${opts.uid}`;
  const agentsDir = join(opts.userHome, "Library", "LaunchAgents");
  const target = (name: ServiceName) => `${domain}/${LABELS[name]}`;
  const launchctl = (...args: string[]) => opts.run(["launchctl", ...args]);
  const sleep = opts.sleep ?? ((ms: number) => Bun.sleep(ms));

  /** The job as launchd has it, or null when it is not loaded in our domain. */
  async function print(name: ServiceName): Promise<PrintedJob | null> {
    const r = await launchctl("print", target(name));
    return r.code === 0 ? parsePrint(r.stdout) : null;
  }

  async function bootstrap(name: ServiceName): Promise<void> {
    const plist = plistPath(opts.userHome, name);
    if (!existsSync(plist)) throw new ServiceError(`${LABELS[name]} is not installed: ${plist} is missing`, "run `halton-meter init`");
    const outcome = await bootstrapWithRetry(domain, plist, LABELS[name], {
      launchctl,
      isLoaded: async () => (await print(name)) !== null,
      sleep,
      postMortems: statePaths(opts.home).postMortems,
    });
    if (outcome.ok) return;
    const last = outcome.attempts[outcome.attempts.length - 1]!;
    throw new ServiceError(
      `launchd would not load ${LABELS[name]} after ${outcome.attempts.length} attempt${outcome.attempts.length === 1 ? "" : "s"} (rc ${last.code}: ${firstLine(last)}); details in ${outcome.postMortem}`,
      "right after a reboot launchd can refuse for a while: wait a minute and run `halton-meter start`; if it keeps failing, `halton-meter rescue`",
    );
  }

  /** Unloads one job (launchd sends SIGTERM, then SIGKILL after ExitTimeOut). Not loaded is fine. */
  async function bootout(name: ServiceName): Promise<void> {
    const r = await launchctl("bootout", target(name));
    if (r.code === 0 || (await print(name)) === null) return;
    throw new ServiceError(`launchctl bootout ${target(name)} failed (rc ${r.code}: ${firstLine(r)})`, "`halton-meter rescue` boots out every agent and kills what they left running");
  }

  /** Loads the job if needed, then runs it; `-k` kills a running instance first. */
  async function start(name: ServiceName, { restart = false }: { restart?: boolean } = {}): Promise<void> {
    if ((await print(name)) === null) await bootstrap(name);
    const r = await launchctl("kickstart", ...(restart ? ["-k"] : []), target(name));
    if (r.code !== 0) throw new ServiceError(`launchctl kickstart ${target(name)} failed (rc ${r.code}: ${firstLine(r)})`, "`halton-meter status` shows what launchd knows; `halton-meter rescue` rebuilds the agents");
  }

  async function statusOf(name: ServiceName): Promise<ServiceStatus> {
    const plist = plistPath(opts.userHome, name);
    const job = await print(name);
    if (!job) {
      return existsSync(plist)
        ? { name, state: "stopped", pid: null, detail: `not loaded in ${domain} (${plist})` }
        : { name, state: "not-installed", pid: null, detail: `no ${plist}` };
    }
    if (job.pid !== null) return { name, state: "running", pid: job.pid, detail: `${job.state}, pid ${job.pid} (launchd ${domain})` };
    if (job.lastSignal) return { name, state: "failed", pid: null, detail: `${job.state}: last run ended by signal (${job.lastSignal})` };
    if (job.lastExitCode !== null && job.lastExitCode !== 0) return { name, state: "failed", pid: null, detail: `${job.state}: last exit code ${job.lastExitCode}` };
    return { name, state: "stopped", pid: null, detail: job.lastExitCode === 0 ? `${job.state}: last run exited cleanly` : `loaded, ${job.state}` };
  }

  return {
    kind: "launchd",
    describe: () => `launchd (LaunchAgents in ${agentsDir}, domain ${domain})`,

    async unavailable(): Promise<Unavailable | null> {
      const r = await launchctl("print", domain);
      if (r.code === 0) return null;
      if (r.code === 127) return { reason: "launchctl is not on this machine: launchd is macOS only", hint: "on Linux, `halton-meter init` uses systemd or the fallback supervisor" };
      return {
        reason: `launchd has no ${domain} domain (${firstLine(r) || `rc ${r.code}`})`,
        hint: "LaunchAgents need a logged-in desktop session: log in at the Mac's screen (an SSH login alone has no gui/ domain)",
      };
    },

    async install(plan: InstallPlan, { clean }): Promise<void> {
      mkdirSync(agentsDir, { recursive: true });
      for (const service of plan.services) {
        const path = plistPath(opts.userHome, service.name);
        const spec = agentPlist(service, plan.mode);
        const text = renderPlist(spec);
        const previous = existsSync(path) ? readFileSync(path, "utf8") : null;
        let loaded = (await print(service.name)) !== null;
        // launchd keeps the definition it loaded: a changed plist only counts after a bootout.
        if (clean || previous !== text) {
          if (loaded) await bootout(service.name);
          loaded = false;
          if (clean) rmSync(path, { force: true });
          for (const log of [service.stdoutLog, service.stderrLog]) mkdirSync(dirname(log), { recursive: true });
          writeFileAtomic(path, text, 0o644);
        }
        if (!spec.runAtLoad) continue;
        if (!loaded) await bootstrap(service.name);
        // A one-shot that already ran at login runs again, so it sees what init just changed.
        else if (!spec.keepAlive) await start(service.name);
      }
    },

    start,

    stop: bootout,

    async status(): Promise<ServiceStatus[]> {
      const rows: ServiceStatus[] = [];
      for (const name of SERVICE_NAMES) rows.push(await statusOf(name));
      return rows;
    },

    async remove(names: ServiceName[]): Promise<void> {
      for (const name of names) {
        await bootout(name);
        rmSync(plistPath(opts.userHome, name), { force: true });
      }
    },

    // launchd keeps a loaded job (KeepAlive included) until logout or reboot even without its
    // file, which is what `uninstall --graceful` wants for the edge.
    async release(names: ServiceName[]): Promise<void> {
      for (const name of names) rmSync(plistPath(opts.userHome, name), { force: true });
    },

    async reset(): Promise<string[]> {
      const done: string[] = [];
      const pids = new Map<number, ServiceName>();
      for (const name of SERVICE_NAMES) {
        const job = await print(name);
        if (job?.pid) pids.set(job.pid, name);
        const r = await launchctl("bootout", target(name));
        done.push(`${LABELS[name]}  ${r.code === 0 ? "bootout ok" : job ? `bootout failed (rc ${r.code}: ${firstLine(r)})` : "not loaded"}`);
      }
      // Only pids launchd itself reported: a process is never picked by its name.
      let killed = 0;
      for (const [pid, name] of pids) {
        if (!isAlive(pid)) continue;
        try {
          process.kill(pid, "SIGKILL");
          killed++;
          done.push(`${name} pid ${pid} killed`);
        } catch (err) {
          done.push(`${name} pid ${pid} could not be killed: ${(err as Error).message}`);
        }
      }
      done.push(`${killed} process${killed === 1 ? "" : "es"} terminated`);
      return done;
    },
  };
}
