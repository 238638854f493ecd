// The whole lifecycle under a real systemd user manager, with the compiled binaries. The manager
// runs in a private mount namespace (tmpfs on /run/systemd, so it believes systemd booted) with
// the test's HOME and its own XDG_RUNTIME_DIR: the machine's own systemd is never involved.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { processRunner } from "../../core/service/runner.ts";
import { createSystemdSupervisor } from "../../platform/linux/index.ts";
import { startTimeOf } from "../../platform/linux/proc.ts";
import { echoServer } from "../harness/raw.ts";
import { canConnect, waitFor } from "../harness/sandbox.ts";
import { clientLoop, type DataGuard, guardData, killIfOurs, type LifecycleEnv, startLifecycleEnv } from "./_env.ts";

const SYSTEMD = "/lib/systemd/systemd";
// unshare -m needs CAP_SYS_ADMIN: these suites run as root (CI and the dev machines do).
const canRun = process.getuid?.() === 0 && existsSync(SYSTEMD);
if (!canRun) console.warn("tests/lifecycle/systemd.test.ts: needs root and systemd (tests/tools/ensure-deps.sh installs it); not registered");

let le: LifecycleEnv;
let manager: Subprocess;
let xdg = "";
let guard: DataGuard;
let loop: ReturnType<typeof clientLoop> | null = null;
const echo = echoServer();
let edgePid = 0;

const alive = (pid: number) => startTimeOf(pid) !== null;
const unitDir = () => join(le.sb.home, ".config/systemd/user");
const environOf = (pid: number) => readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");

describe.if(canRun)("systemd user manager", () => {
  beforeAll(async () => {
    le = await startLifecycleEnv("hm-life-sd-", {});
    xdg = join(le.sb.root, "xdg");
    mkdirSync(xdg, { mode: 0o700 });
    le.env.XDG_RUNTIME_DIR = xdg;
    // A stale proxy in the manager's environment, pointing at our own edge: units must not inherit it.
    const stale = `http://127.0.0.1:${le.sb.ports.edge}`;
    manager = Bun.spawn(["unshare", "-m", "--propagation", "private", "sh", "-c", `mount -t tmpfs tmpfs /run/systemd && mkdir -p /run/systemd/system && exec ${SYSTEMD} --user`], {
      env: { ...le.sb.env, XDG_RUNTIME_DIR: xdg, HTTPS_PROXY: stale, http_proxy: stale },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    });
    await waitFor(async () => (await processRunner(["systemctl", "--user", "show", "-p", "Version", "--value"], { env: { ...le.sb.env, XDG_RUNTIME_DIR: xdg } })).code === 0, "the user manager");
  }, 60_000);

  afterAll(async () => {
    await loop?.stop();
    echo.stop();
    if (manager) {
      // The manager stops its units when it exits; whatever it left is killed by pid below.
      manager.kill("SIGTERM");
      await Promise.race([manager.exited, Bun.sleep(15_000)]);
      if (manager.exitCode === null) manager.kill("SIGKILL");
      await manager.exited;
    }
    if (le) {
      for (const pid of le.seen) killIfOurs(pid, le.bins);
      await le.cleanup();
    }
  }, 60_000);

  test("renderUnit's escaping holds in a real manager: the process gets each value byte for byte", async () => {
    const sup = createSystemdSupervisor({ userHome: le.sb.home, run: processRunner, env: { ...le.sb.env, XDG_RUNTIME_DIR: xdg } });
    const odd = `50% "off" \\ $HOME 'q' %h`;
    await sup.install({ home: le.sb.meterHome, mode: "apps", services: [{ name: "daemon", argv: ["/bin/sh", "-c", "sleep 600; :", "50% $x"], env: { HALTON_METER_HOME: le.sb.meterHome, ODD: odd }, stdoutLog: join(le.sb.root, "odd.out"), stderrLog: join(le.sb.root, "odd.err") }] }, { clean: true });
    await sup.start("daemon");
    const row = await waitFor(async () => (await sup.status()).find((r) => r.name === "daemon" && r.pid), "the test unit");
    const env = environOf(row.pid!);
    expect(env).toContain(`ODD=${odd}`);
    expect(env.some((l) => /^(HTTPS_PROXY|http_proxy)=/.test(l))).toBe(false);
    expect(readFileSync(`/proc/${row.pid}/cmdline`, "utf8").split("\0")).toContain("50% $x");
    await sup.remove(["daemon"]);
    expect(alive(row.pid!)).toBe(false);
  }, 30_000);

  test("init picks systemd on its own, writes both units, and the daemon's environment has no proxy", async () => {
    const r = await le.cli(["init", "--non-interactive"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("(apps, systemd)");
    const s = await le.status();
    expect(s.supervisor.kind).toBe("systemd");
    expect(s.healthy).toBe(true);
    expect(le.service(s, "watchdog").detail).toContain("not on Linux");
    for (const unit of ["halton-meter.service", "halton-meter-edge.service"]) expect(readFileSync(join(unitDir(), unit), "utf8")).toContain("Restart=always\nRestartSec=1");
    const daemonEnv = environOf(le.service(s, "daemon").pid!);
    expect(daemonEnv).toContain(`HALTON_METER_HOME=${le.sb.meterHome}`);
    expect(daemonEnv.some((l) => /^(HTTPS_PROXY|http_proxy)=/.test(l))).toBe(false);
    edgePid = le.service(s, "edge").pid!;
    guard = guardData(le);
    loop = clientLoop(le.sb.ports.edge, echo.port);
  }, 60_000);

  test("seed 002: without XDG_RUNTIME_DIR, status explains the bus failure and its fix", async () => {
    const r = await le.cli(["status"], { XDG_RUNTIME_DIR: "" });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("XDG_RUNTIME_DIR is not set");
    expect(r.stdout).toContain("enable-linger");
  });

  test("stop: only the daemon stops (systemd stops it, the edge keeps its pid); start: healthy again", async () => {
    const daemonPid = le.service(await le.status(), "daemon").pid!;
    expect((await le.cli(["stop"])).code).toBe(0);
    expect(alive(daemonPid)).toBe(false);
    const s = await le.status();
    expect(le.service(s, "daemon").state).toBe("stopped");
    expect(le.service(s, "edge").pid).toBe(edgePid);
    const start = await le.cli(["start", "--quiet"]);
    expect(start.code).toBe(0);
    expect(start.stdout).toContain("daemon healthy");
    expect(le.service(await le.status(), "edge").pid).toBe(edgePid);
    guard.check("stop/start");
  }, 60_000);

  test("kill -9 of the daemon: systemd restarts it by itself; the edge keeps its port and pid", async () => {
    const daemonPid = le.service(await le.status(), "daemon").pid!;
    process.kill(daemonPid, "SIGKILL");
    const revived = await waitFor(async () => {
      const s = await le.status();
      const d = le.service(s, "daemon");
      return s.healthy && d.pid !== daemonPid ? s : null;
    }, "systemd to restart the daemon", 20_000);
    expect(le.service(revived, "daemon").detail).toContain("restarted 1 time");
    expect(le.service(revived, "edge").pid).toBe(edgePid);
    guard.check("kill -9");
  }, 60_000);

  test("rescue: reset-failed, daemon-reload, init --clean; exit 0; edge and data kept", async () => {
    const r = await le.cli(["rescue"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("reset-failed halton-meter-edge.service halton-meter.service");
    expect(r.stdout).toContain("daemon-reload: ok");
    expect(r.stdout).toContain("Rescue complete");
    const s = await le.status();
    expect(s.healthy).toBe(true);
    expect(le.service(s, "edge").pid).toBe(edgePid);
    guard.check("rescue");
  }, 60_000);

  test("the client loop through the edge saw no failure across stop, kill -9 and rescue", async () => {
    const result = await loop!.stop();
    loop = null;
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(0);
  });

  test("uninstall --graceful: units gone, daemon stopped, the edge still serving with the same pid", async () => {
    expect((await le.cli(["uninstall", "--graceful"])).code).toBe(0);
    expect(existsSync(join(unitDir(), "halton-meter.service"))).toBe(false);
    expect(existsSync(join(unitDir(), "halton-meter-edge.service"))).toBe(false);
    const s = await le.status();
    expect(le.service(s, "daemon").state).toBe("not-installed");
    expect(le.service(s, "edge")).toMatchObject({ state: "running", pid: edgePid });
    expect(await canConnect(le.sb.ports.edge)).toBe(true);
    guard.check("uninstall --graceful");
  }, 60_000);

  test("uninstall --purge: the edge stops too, nothing of ours is left in the manager, the data stays", async () => {
    expect((await le.cli(["uninstall", "--purge"])).code).toBe(0);
    expect(alive(edgePid)).toBe(false);
    const units = await processRunner(["systemctl", "--user", "list-units", "halton-meter*", "--all", "--no-legend"], { env: { ...le.sb.env, XDG_RUNTIME_DIR: xdg } });
    expect(units.stdout.trim()).toBe("");
    guard.check("uninstall --purge");
  }, 60_000);
});
