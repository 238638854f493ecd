// The launchd supervisor against a recording fake of launchctl that runs real processes.

import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Supervisor } from "../../core/service/supervisor.ts";
import { BOOTSTRAP_BACKOFF_MS } from "../../platform/darwin/bootstrap.ts";
import { createLaunchdSupervisor } from "../../platform/darwin/launchd.ts";
import { waitFor } from "../harness/sandbox.ts";
import { isRunning, makeDarwinSandbox, plistlib } from "./_fakes.ts";
import { planFor } from "./_plan.ts";

const sb = makeDarwinSandbox();
afterAll(() => sb.cleanup());

const agents = join(sb.home, "Library", "LaunchAgents");
const plistOf = (label: string) => join(agents, `${label}.plist`);
const D = `gui/${sb.uid}`;
const EDGE = "com.haltonlabs.meter.edge";
const DAEMON = "com.haltonlabs.meter";
const WATCHDOG = "com.haltonlabs.meter.watchdog";
const USERENV = "com.haltonlabs.meter.userenv";
const plan = planFor(sb.meterHome, {
  edge: ["/bin/sleep", "301"],
  daemon: ["/bin/sleep", "302"],
  watchdog: ["/bin/sleep", "303"],
  userenv: ["/bin/true"],
});

let sleeps: number[] = [];
const sup: Supervisor = createLaunchdSupervisor({ home: sb.meterHome, userHome: sb.home, uid: sb.uid, run: sb.run, sleep: async (ms) => void sleeps.push(ms) });
const pidOf = async (name: string) => (await sup.status()).find((s) => s.name === name)!.pid;

beforeEach(() => {
  sleeps = [];
  sb.clearCalls();
});

describe("install", () => {
  test("writes four plists a real parser reads, and loads only the agents that run at load", async () => {
    await sup.install(plan, { clean: false });
    for (const label of [EDGE, DAEMON, WATCHDOG, USERENV]) expect(plistlib(plistOf(label)).Label).toBe(label);
    expect(sb.lines("launchctl")).toEqual([
      `print ${D}/${EDGE}`,
      `bootstrap ${D} ${plistOf(EDGE)}`,
      `print ${D}/${DAEMON}`,
      `print ${D}/${WATCHDOG}`,
      `print ${D}/${USERENV}`,
      `bootstrap ${D} ${plistOf(USERENV)}`,
    ]);
    const edgePid = await pidOf("edge");
    expect(edgePid).toBeGreaterThan(0);
    expect(isRunning(edgePid!)).toBe(true);
  });

  test("a second install changes nothing loaded: the edge keeps its process, userenv runs again", async () => {
    const edgePid = await pidOf("edge");
    sb.clearCalls();
    await sup.install(plan, { clean: false });
    expect(sb.lines("launchctl")).toEqual([
      `print ${D}/${EDGE}`,
      `print ${D}/${DAEMON}`,
      `print ${D}/${WATCHDOG}`,
      `print ${D}/${USERENV}`,
      `print ${D}/${USERENV}`,
      `kickstart ${D}/${USERENV}`,
    ]);
    expect(await pidOf("edge")).toBe(edgePid);
  });

  test("a changed plist is booted out and loaded again, since launchd keeps what it loaded", async () => {
    const before = await pidOf("edge");
    sb.clearCalls();
    const changed = planFor(sb.meterHome, { edge: ["/bin/sleep", "304"], daemon: ["/bin/sleep", "302"], watchdog: ["/bin/sleep", "303"], userenv: ["/bin/true"] });
    await sup.install({ ...changed, services: changed.services.filter((s) => s.name === "edge") }, { clean: false });
    expect(sb.lines("launchctl")).toEqual([`print ${D}/${EDGE}`, `bootout ${D}/${EDGE}`, `bootstrap ${D} ${plistOf(EDGE)}`]);
    expect(plistlib(plistOf(EDGE)).ProgramArguments).toEqual(["/bin/sleep", "304"]);
    expect(isRunning(before!)).toBe(false);
    await sup.install(plan, { clean: false });
  });
});

describe("start, stop, status", () => {
  test("start bootstraps then kickstarts; a second start only kickstarts; restart uses -k", async () => {
    await sup.start("daemon");
    expect(sb.lines("launchctl")).toEqual([`print ${D}/${DAEMON}`, `bootstrap ${D} ${plistOf(DAEMON)}`, `kickstart ${D}/${DAEMON}`]);
    const pid = await pidOf("daemon");
    expect(isRunning(pid!)).toBe(true);

    sb.clearCalls();
    await sup.start("daemon");
    expect(sb.lines("launchctl")).toEqual([`print ${D}/${DAEMON}`, `kickstart ${D}/${DAEMON}`]);
    expect(await pidOf("daemon")).toBe(pid);

    sb.clearCalls();
    await sup.start("daemon", { restart: true });
    expect(sb.lines("launchctl")).toEqual([`print ${D}/${DAEMON}`, `kickstart -k ${D}/${DAEMON}`]);
    const next = await pidOf("daemon");
    expect(next).not.toBe(pid);
    expect(isRunning(pid!)).toBe(false);
  });

  test("status reports each agent with the pid launchd gives", async () => {
    await sup.start("watchdog");
    const rows = await sup.status();
    expect(rows.map((r) => [r.name, r.state])).toEqual([
      ["daemon", "running"],
      ["watchdog", "running"],
      ["edge", "running"],
      ["userenv", "stopped"],
    ]);
    for (const r of rows.filter((r) => r.state === "running")) expect(isRunning(r.pid!)).toBe(true);
    expect(rows.find((r) => r.name === "daemon")!.detail).toContain(`pid ${rows[0]!.pid}`);
  });

  test("stop boots the job out and its process ends; stopping again is not an error", async () => {
    const pid = await pidOf("daemon");
    sb.clearCalls();
    await sup.stop("daemon");
    expect(sb.lines("launchctl")).toEqual([`bootout ${D}/${DAEMON}`]);
    expect(isRunning(pid!)).toBe(false);
    sb.clearCalls();
    await sup.stop("daemon");
    expect(sb.lines("launchctl")).toEqual([`bootout ${D}/${DAEMON}`, `print ${D}/${DAEMON}`]);
    const row = (await sup.status()).find((r) => r.name === "daemon")!;
    expect(row).toMatchObject({ state: "stopped", pid: null });
    expect(row.detail).toContain("not loaded");
  });

  test("a job whose last run failed shows as failed", async () => {
    const jobs = sb.readState<Record<string, { lastExit?: number; pid: number | null }>>("jobs.json");
    jobs[USERENV]!.lastExit = 78;
    sb.setState("jobs.json", jobs);
    const row = (await sup.status()).find((r) => r.name === "userenv")!;
    expect(row.state).toBe("failed");
    expect(row.detail).toContain("78");
  });
});

describe("cold-boot rc=5", () => {
  test("bootstrap is retried on an exponential schedule and then succeeds", async () => {
    sb.setState("bootstrap-failures", 3);
    await sup.start("daemon");
    expect(sleeps).toEqual(BOOTSTRAP_BACKOFF_MS.slice(0, 3));
    expect(sb.lines("launchctl").filter((l) => l.startsWith("bootstrap"))).toHaveLength(4);
    expect((await sup.status()).find((r) => r.name === "daemon")!.state).toBe("running");
    await sup.stop("daemon");
  });

  test("on exhaustion a post-mortem is appended and the error says where", async () => {
    const postMortem = join(sb.meterHome, "post-mortems", "launchd-bootstrap.log");
    for (let round = 1; round <= 2; round++) {
      sleeps = [];
      sb.setState("bootstrap-failures", 100);
      const err = await sup.start("daemon").catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toContain("after 6 attempts");
      expect((err as Error).message).toContain(postMortem);
      expect(sleeps).toEqual(BOOTSTRAP_BACKOFF_MS);
      const text = readFileSync(postMortem, "utf8");
      expect(text.match(/bootstrap of com\.haltonlabs\.meter failed after 6 attempts/g)).toHaveLength(round);
      expect(text.match(/attempt \d: rc=5 Bootstrap failed: 5: Input\/output error/g)).toHaveLength(6 * round);
    }
    expect(sb.lines("launchctl").some((l) => l.startsWith("kickstart"))).toBe(false);
    sb.setState("bootstrap-failures", 0);
  });

  test("rc=5 from a job that is in fact loaded (a racing second CLI) is success, without retrying", async () => {
    await sup.start("daemon");
    let lied = false;
    // The first print claims "not loaded" although the job is: bootstrap then answers rc=5.
    const racing = createLaunchdSupervisor({
      home: sb.meterHome,
      userHome: sb.home,
      uid: sb.uid,
      sleep: async (ms) => void sleeps.push(ms),
      run: async (argv) => {
        if (!lied && argv[1] === "print") {
          lied = true;
          return { code: 113, stdout: "", stderr: "Could not find service" };
        }
        return sb.run(argv);
      },
    });
    sb.clearCalls();
    await racing.start("daemon");
    expect(sb.lines("launchctl")).toEqual([`bootstrap ${D} ${plistOf(DAEMON)}`, `print ${D}/${DAEMON}`, `kickstart ${D}/${DAEMON}`]);
    expect(sleeps).toEqual([]);
    await sup.stop("daemon");
  });
});

describe("remove and reset", () => {
  test("reset boots out all four and kills only the pids launchd reported", async () => {
    await sup.start("daemon");
    await sup.start("watchdog");
    const reported = (await sup.status()).filter((r) => r.pid !== null).map((r) => r.pid!);
    expect(reported).toHaveLength(3);
    // A bystander whose command line looks like ours: a pattern kill would take it too.
    const bystander = sb.spawn(["/bin/bash", "-c", "exec -a 'halton-meter daemon' /bin/sleep 305"]);
    await waitFor(() => readFileSync(`/proc/${bystander.pid}/cmdline`, "utf8").startsWith("halton-meter daemon"), "the bystander");
    sb.setState("bootout-orphans", "1");
    sb.clearCalls();
    const done = await sup.reset();
    rmSync(join(sb.state, "bootout-orphans"));
    expect(sb.lines("launchctl")).toEqual([DAEMON, WATCHDOG, EDGE, USERENV].flatMap((l) => [`print ${D}/${l}`, `bootout ${D}/${l}`]));
    for (const pid of reported) await waitFor(() => !isRunning(pid), `pid ${pid} to end`);
    expect(isRunning(bystander.pid)).toBe(true);
    expect(done).toContain(`${DAEMON}  bootout ok`);
    expect(done).toContain("3 processes terminated");
  });

  test("reset with nothing loaded is harmless", async () => {
    const done = await sup.reset();
    expect(done.filter((l) => l.endsWith("not loaded"))).toHaveLength(4);
    expect(done).toContain("0 processes terminated");
  });

  test("remove boots out and deletes only the named plists", async () => {
    await sup.install(plan, { clean: true });
    sb.clearCalls();
    await sup.remove(["daemon", "watchdog"]);
    expect(existsSync(plistOf(DAEMON))).toBe(false);
    expect(existsSync(plistOf(WATCHDOG))).toBe(false);
    expect(existsSync(plistOf(EDGE))).toBe(true);
    expect(sb.lines("launchctl")).toEqual([`bootout ${D}/${DAEMON}`, `print ${D}/${DAEMON}`, `bootout ${D}/${WATCHDOG}`, `print ${D}/${WATCHDOG}`]);
    expect((await sup.status()).find((r) => r.name === "daemon")!.state).toBe("not-installed");
    await sup.remove(["edge", "userenv"]);
    expect((await sup.status()).every((r) => r.state === "not-installed")).toBe(true);
  });
});

describe("release (uninstall --graceful)", () => {
  test("deletes the plist but leaves the loaded edge running; a later remove still stops it", async () => {
    await sup.install(plan, { clean: false });
    const pid = await pidOf("edge");
    sb.clearCalls();
    await sup.release!(["edge"]);
    expect(sb.lines("launchctl")).toEqual([]);
    expect(existsSync(plistOf(EDGE))).toBe(false);
    expect(isRunning(pid!)).toBe(true);
    expect((await sup.status()).find((r) => r.name === "edge")).toMatchObject({ state: "running", pid });
    await sup.remove(["edge", "daemon", "watchdog", "userenv"]);
    expect(isRunning(pid!)).toBe(false);
  });
});

describe("availability", () => {
  test("usable when launchctl answers for the gui domain", async () => {
    expect(await sup.unavailable()).toBeNull();
    expect(sup.describe()).toContain(`domain ${D}`);
  });

  test("not usable where there is no launchctl, with a reason", async () => {
    const bare = createLaunchdSupervisor({ home: sb.meterHome, userHome: sb.home, uid: sb.uid, run: (argv) => sb.run(argv, { env: { PATH: "/nonexistent" } }) });
    const why = await bare.unavailable();
    expect(why?.reason).toContain("macOS only");
  });

  test("the deprecated load/unload verbs were never used", () => {
    const verbs = new Set(sb.allCalls("launchctl").map((c) => c.argv[0]));
    expect([...verbs].sort()).toEqual(["bootout", "bootstrap", "kickstart", "print"]);
  });
});
