// The fallback supervisor with real detached processes: pid files carry the start time, so a pid
// the kernel has handed to another program is never signalled; status tells crashed from stopped.

import { afterAll, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { InstallPlan } from "../../core/service/supervisor.ts";
import { isPortFree } from "../../core/ports/probe.ts";
import { createFallbackSupervisor } from "../../platform/linux/index.ts";
import { type PidRecord, startTimeOf } from "../../platform/linux/proc.ts";
import { makeSandbox, waitFor } from "../harness/sandbox.ts";

const sb = makeSandbox("hm-fbsup-");
const started: number[] = [];
afterAll(async () => {
  for (const pid of started) {
    if (startTimeOf(pid) !== null && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("hm-fbsup-marker")) process.kill(pid, "SIGKILL");
  }
  await sb.cleanup();
});

// A stand-in service: sleeps, and says which environment it got.
const script = (name: string) => ["/bin/sh", "-c", `echo "proxy=[$HTTPS_PROXY] trust=[$SSL_CERT_FILE] lang=[$LANG] home=[$HALTON_METER_HOME]"; exec sleep 600 # hm-fbsup-marker ${name}`];
const plan: InstallPlan = {
  home: sb.meterHome,
  mode: "apps",
  services: (["edge", "daemon"] as const).map((name) => ({ name, argv: script(name), env: { HALTON_METER_HOME: sb.meterHome }, stdoutLog: join(sb.meterHome, `${name}.out.log`), stderrLog: join(sb.meterHome, `${name}.err.log`) })),
};
const shellEnv = { ...sb.env, HTTPS_PROXY: "http://127.0.0.1:1", SSL_CERT_FILE: join(sb.meterHome, "trust-bundle.pem"), LANG: "C.UTF-8" };
const sup = createFallbackSupervisor({ home: sb.meterHome, env: shellEnv, stopGraceMs: 2000 });
const pidRecord = (name: string) => JSON.parse(readFileSync(join(sb.meterHome, "run", `${name}.pid`), "utf8")) as PidRecord;
const row = async (name: string) => (await sup.status()).find((r) => r.name === name)!;

test("install records the specs; start detaches each process with its pid and start time; status reads them", async () => {
  expect((await row("daemon")).state).toBe("not-installed");
  await sup.install(plan, { clean: false });
  expect((await row("daemon")).state).toBe("stopped");
  await sup.start("edge");
  await sup.start("daemon");
  const rec = pidRecord("daemon");
  started.push(rec.pid, pidRecord("edge").pid);
  expect(rec.startTime).toBe(startTimeOf(rec.pid)!);
  expect(await row("daemon")).toMatchObject({ state: "running", pid: rec.pid, detail: expect.stringContaining("nothing restarts it") });
  expect((await sup.status()).map((r) => r.name)).toEqual(["edge", "daemon", "watchdog"]);
  // Its own session: our process group's signals (a Ctrl-C in the shell that ran init) never reach it.
  const sid = Number(readFileSync(`/proc/${rec.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[3]);
  expect(sid).toBe(rec.pid);
  const out = await waitFor(() => readFileSync(join(sb.meterHome, "daemon.out.log"), "utf8"), "the daemon's output");
  expect(out).toBe(`proxy=[] trust=[] lang=[C.UTF-8] home=[${sb.meterHome}]\n`);
  await sup.start("daemon");
  expect(pidRecord("daemon").pid).toBe(rec.pid);
});

test("a pid file whose pid now belongs to another process is never signalled", async () => {
  const rec = pidRecord("daemon");
  await sup.stop("daemon");
  expect(startTimeOf(rec.pid)).toBeNull();
  // A live stranger (this test process) under a recorded pid with another start time.
  const stranger: PidRecord = { pid: process.pid, startTime: startTimeOf(process.pid)! - 1, argv: ["x"], startedAt: "" };
  writeFileSync(join(sb.meterHome, "run", "daemon.pid"), JSON.stringify(stranger));
  expect((await row("daemon")).state).toBe("failed");
  await sup.stop("daemon");
  expect(startTimeOf(process.pid)).not.toBeNull();
  expect(existsSync(join(sb.meterHome, "run", "daemon.pid"))).toBe(false);
  writeFileSync(join(sb.meterHome, "run", "daemon.pid"), JSON.stringify(stranger));
  expect(await sup.reset()).toContain(`daemon: stale pid file (pid ${process.pid} gone) removed`);
});

test("a killed process shows as failed, not stopped; restart replaces it", async () => {
  await sup.start("daemon");
  const first = pidRecord("daemon");
  started.push(first.pid);
  process.kill(first.pid, "SIGKILL");
  await waitFor(() => startTimeOf(first.pid) === null, "the kill");
  expect(await row("daemon")).toMatchObject({ state: "failed", detail: expect.stringContaining("halton-meter start") });
  await sup.start("daemon", { restart: true });
  const second = pidRecord("daemon");
  started.push(second.pid);
  expect(second.pid).not.toBe(first.pid);
  expect((await row("daemon")).state).toBe("running");
});

// A process whose first thread has ended while another thread holds its listening socket: /proc
// shows its first thread as a zombie. A killed daemon with worker threads passes through that
// state while it winds down; until its last thread is gone, its ports are not free.
test("a process whose first thread is a zombie while another still runs is alive: reset kills it and waits until its port is free", async () => {
  const portFile = join(sb.meterHome, "held-port");
  const holder = `import ctypes, socket, threading, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
open(${JSON.stringify(portFile)}, "w").write(str(s.getsockname()[1]))
threading.Thread(target=lambda: time.sleep(600)).start()
ctypes.CDLL(None).pthread_exit(None)  # hm-fbsup-marker`;
  const spec = { ...plan.services[1]!, argv: ["python3", "-c", holder] };
  await sup.install({ ...plan, services: [plan.services[0]!, spec] }, { clean: false });
  await sup.start("daemon", { restart: true });
  const rec = pidRecord("daemon");
  started.push(rec.pid);
  const port = Number(await waitFor(() => (existsSync(portFile) ? readFileSync(portFile, "utf8") : null), "the holder's port"));
  await waitFor(() => readFileSync(`/proc/${rec.pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z"), "its first thread to end");
  expect(isPortFree(port)).toBe(false);
  expect(startTimeOf(rec.pid)).toBe(rec.startTime);
  expect((await row("daemon")).state).toBe("running");
  expect(await sup.reset()).toContain(`daemon: pid ${rec.pid} killed`);
  expect(isPortFree(port)).toBe(true);
  expect(startTimeOf(rec.pid)).toBeNull();
  await sup.install(plan, { clean: false });
  await sup.start("daemon");
  started.push(pidRecord("daemon").pid);
});

test("reset (rescue) kills the daemon but keeps a live edge; release keeps the process, remove stops it", async () => {
  const daemon = pidRecord("daemon");
  const edge = pidRecord("edge");
  const lines = await sup.reset();
  expect(lines).toContain(`edge: pid ${edge.pid} kept (it owns the user-facing port)`);
  expect(lines).toContain(`daemon: pid ${daemon.pid} killed`);
  expect(startTimeOf(daemon.pid)).toBeNull();
  await sup.release(["edge"]);
  expect(await row("edge")).toMatchObject({ state: "running", detail: expect.stringContaining("uninstalled gracefully") });
  await sup.remove(["edge", "daemon"]);
  expect(startTimeOf(edge.pid)).toBeNull();
  expect((await row("edge")).state).toBe("not-installed");
  await expect(sup.start("daemon")).rejects.toMatchObject({ name: "ServiceError", hint: expect.stringContaining("init") });
});
