// The systemd user manager: units in ~/.config/systemd/user, driven with `systemctl --user`
// through an injected Runner. Restart=always revives a crashed daemon or edge within a second.

import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../../core/fs/atomic.ts";
import type { InstallPlan, RunResult, Runner, ServiceName, ServiceStatus, Supervisor, Unavailable } from "../../core/service/supervisor.ts";
import { ServiceError } from "../../core/service/errors.ts";
import { WATCHDOG_ROW } from "./linux-rows.ts";
import { renderUnit, UNIT_NAMES } from "./unit.ts";

export interface SystemdOptions {
  /** The user's home: units live in its .config/systemd/user. */
  userHome: string;
  run: Runner;
  /** The environment systemctl sees (XDG_RUNTIME_DIR above all). */
  env?: Record<string, string | undefined>;
}

const OURS: ServiceName[] = ["edge", "daemon"];
const unitOf = (name: ServiceName): string => {
  const unit = UNIT_NAMES[name];
  if (!unit) throw new Error(`systemd runs no ${name} service`);
  return unit;
};
const firstLine = (r: RunResult): string => (r.stderr.trim() || r.stdout.trim()).split("\n")[0] ?? "";

/** Seed 002: the two ways `systemctl --user` fails in an SSH or non-login shell, explained. */
export function explainBusFailure(r: RunResult, env: Record<string, string | undefined>): Unavailable {
  const said = firstLine(r);
  if (r.code === 127) return { reason: "systemctl is not installed: this machine has no systemd", hint: "the fallback supervisor runs the meter instead (`halton-meter init` picks it)" };
  if (/System has not been booted with systemd|Host is down/i.test(said)) {
    return { reason: `no systemd here (${said})`, hint: "containers and WSL without systemd use the fallback supervisor: nothing restarts the processes" };
  }
  if (/Failed to connect to bus/i.test(said)) {
    const uid = process.getuid?.() ?? "$(id -u)";
    if (!env.XDG_RUNTIME_DIR) {
      return {
        reason: `systemctl --user cannot reach your user manager: XDG_RUNTIME_DIR is not set (${said}); this happens in an SSH session that predates \`loginctl enable-linger\` or in a non-login shell`,
        hint: `export XDG_RUNTIME_DIR=/run/user/${uid} and retry; if /run/user/${uid} does not exist, run \`sudo loginctl enable-linger "$USER"\` and open a fresh login shell`,
      };
    }
    return {
      reason: `systemctl --user cannot reach a user manager at XDG_RUNTIME_DIR=${env.XDG_RUNTIME_DIR} (${said})`,
      hint: `run \`sudo loginctl enable-linger "$USER"\` and open a fresh login shell (your user manager then runs at /run/user/${uid})`,
    };
  }
  return { reason: `systemctl --user does not work here: ${said || `exit code ${r.code}`}`, hint: "`systemctl --user status` shows what the user manager says" };
}

/** `systemctl show` output: blocks of Key=Value, one block per unit, in no guaranteed order. */
export function parseShow(text: string): Map<string, Record<string, string>> {
  const units = new Map<string, Record<string, string>>();
  for (const block of text.split(/\n\s*\n/)) {
    const props: Record<string, string> = {};
    for (const line of block.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1);
    }
    if (props.Id) units.set(props.Id, props);
  }
  return units;
}

export function rowFromShow(name: ServiceName, p: Record<string, string> | undefined): ServiceStatus {
  const unit = unitOf(name);
  if (!p) return { name, state: "not-installed", pid: null, detail: `systemd knows nothing of ${unit}` };
  const pid = Number(p.MainPID) > 0 ? Number(p.MainPID) : null;
  const restarts = Number(p.NRestarts ?? 0);
  const restarted = restarts > 0 ? `, restarted ${restarts} time${restarts === 1 ? "" : "s"}` : "";
  const gone = p.LoadState === "not-found";
  if (p.ActiveState === "active" || p.ActiveState === "reloading") {
    const note = gone ? " (unit file removed: it runs until stopped or the next reboot)" : "";
    return { name, state: "running", pid, detail: `active (${p.SubState})${restarted}${note}` };
  }
  if (gone) return { name, state: "not-installed", pid: null, detail: `no ${unit}` };
  if (p.ActiveState === "activating" && p.SubState === "auto-restart") return { name, state: "failed", pid: null, detail: `exited (${p.Result}); systemd restarts it within a second${restarted}` };
  if (p.ActiveState === "activating") return { name, state: "running", pid, detail: `starting (${p.SubState})` };
  if (p.ActiveState === "failed" || (p.Result && p.Result !== "success")) {
    const hint = p.Result === "start-limit-hit" ? ": too many crashes in a row; `halton-meter rescue` clears it" : "";
    return { name, state: "failed", pid: null, detail: `failed (${p.Result})${hint}` };
  }
  return { name, state: "stopped", pid: null, detail: p.UnitFileState === "enabled" ? "inactive (starts at login)" : `inactive (${p.UnitFileState || "not enabled"})` };
}

export function createSystemdSupervisor(opts: SystemdOptions): Supervisor {
  const env = opts.env ?? process.env;
  const unitDir = join(opts.userHome, ".config", "systemd", "user");
  const systemctl = (...args: string[]) => opts.run(["systemctl", "--user", ...args], { env, timeoutMs: 60_000 });

  /** Runs systemctl; a failure the user can act on becomes a ServiceError with the right hint. */
  async function must(what: string, ...args: string[]): Promise<RunResult> {
    const r = await systemctl(...args);
    if (r.code === 0) return r;
    if (/Failed to connect to bus/i.test(firstLine(r)) || r.code === 127) {
      const why = explainBusFailure(r, env);
      throw new ServiceError(why.reason, why.hint);
    }
    const unit = args[args.length - 1] ?? "";
    throw new ServiceError(
      `${what} failed: ${firstLine(r)}`,
      unit.endsWith(".service") ? `\`systemctl --user status ${unit} --no-pager\` and \`journalctl --user -u ${unit} --no-pager\` say why; \`halton-meter rescue\` rebuilds the units` : "`halton-meter rescue` rebuilds the units",
    );
  }

  async function show(): Promise<Map<string, Record<string, string>>> {
    const r = await must("systemctl --user show", "show", ...OURS.map(unitOf), "-p", "Id,LoadState,ActiveState,SubState,MainPID,Result,NRestarts,UnitFileState");
    return parseShow(r.stdout);
  }

  async function stopUnits(names: ServiceName[]): Promise<void> {
    const r = await systemctl("stop", ...names.map(unitOf));
    // Stopping a unit systemd never loaded is what we wanted anyway.
    if (r.code !== 0 && r.code !== 5) await must(`systemctl --user stop ${names.map(unitOf).join(" ")}`, "stop", ...names.map(unitOf));
  }

  return {
    kind: "systemd",
    describe: () => `systemd user manager (units in ${unitDir}; Restart=always)`,

    async unavailable(): Promise<Unavailable | null> {
      const r = await systemctl("show", "--property=Version", "--value");
      return r.code === 0 ? null : explainBusFailure(r, env);
    },

    async install(plan: InstallPlan, { clean }): Promise<void> {
      mkdirSync(unitDir, { recursive: true });
      const units = plan.services.filter((s) => UNIT_NAMES[s.name]);
      for (const spec of units) {
        const path = join(unitDir, unitOf(spec.name));
        const text = renderUnit(spec);
        if (clean) rmSync(path, { force: true });
        for (const log of [spec.stdoutLog, spec.stderrLog]) mkdirSync(dirname(log), { recursive: true });
        if (!existsSync(path) || readFileSync(path, "utf8") !== text) writeFileAtomic(path, text, 0o644);
      }
      await must("systemctl --user daemon-reload", "daemon-reload");
      await must("systemctl --user enable", "enable", ...units.map((s) => unitOf(s.name)));
    },

    async start(name, { restart = false } = {}): Promise<void> {
      if (name === "watchdog" || name === "userenv") return;
      await must(`systemctl --user ${restart ? "restart" : "start"} ${unitOf(name)}`, restart ? "restart" : "start", unitOf(name));
    },

    async stop(name): Promise<void> {
      if (name === "watchdog" || name === "userenv") return;
      await stopUnits([name]);
    },

    async status(): Promise<ServiceStatus[]> {
      const units = await show();
      return [...OURS.map((name) => rowFromShow(name, units.get(unitOf(name)))), WATCHDOG_ROW];
    },

    async remove(names): Promise<void> {
      const ours = names.filter((n) => UNIT_NAMES[n]);
      if (ours.length === 0) return;
      await stopUnits(ours);
      await systemctl("disable", ...ours.map(unitOf));
      for (const n of ours) rmSync(join(unitDir, unitOf(n)), { force: true });
      await must("systemctl --user daemon-reload", "daemon-reload");
      await systemctl("reset-failed", ...ours.map(unitOf));
    },

    async release(names): Promise<void> {
      const ours = names.filter((n) => UNIT_NAMES[n]);
      if (ours.length === 0) return;
      // A loaded, active unit whose file is gone keeps running; disabled, it never starts again.
      await systemctl("disable", ...ours.map(unitOf));
      for (const n of ours) rmSync(join(unitDir, unitOf(n)), { force: true });
      await must("systemctl --user daemon-reload", "daemon-reload");
    },

    async reset(): Promise<string[]> {
      const units = OURS.map(unitOf);
      const done: string[] = [];
      const rf = await systemctl("reset-failed", ...units);
      done.push(rf.code === 0 ? `systemctl --user reset-failed ${units.join(" ")}: ok` : `systemctl --user reset-failed: ${firstLine(rf)} (fine when the units are not loaded)`);
      await must("systemctl --user daemon-reload", "daemon-reload");
      done.push("systemctl --user daemon-reload: ok");
      return done;
    },
  };
}
