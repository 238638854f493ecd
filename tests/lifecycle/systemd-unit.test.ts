// systemd: the unit renderer, `systemctl show` parsing, seed 002's bus failures, and the exact
// systemctl calls each supervisor verb makes (through a recording Runner).

import { afterAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildInstallPlan } from "../../core/service/plan.ts";
import type { RunResult, Runner } from "../../core/service/supervisor.ts";
import { explainBusFailure, parseShow, rowFromShow } from "../../platform/linux/systemd.ts";
import { createSystemdSupervisor, renderUnit } from "../../platform/linux/index.ts";
import { quoteEnvAssignment, quoteExecArg } from "../../platform/linux/unit.ts";
import { makeSandbox } from "../harness/sandbox.ts";

const sb = makeSandbox("hm-unit-");
afterAll(() => sb.cleanup());

const plan = buildInstallPlan({ home: "/home/u/.halton-meter", mode: "apps", kind: "systemd", programs: { meter: ["/opt/hm/halton-meter"], edge: ["/opt/hm/halton-meter-edge"], compiled: true } });
const spec = (name: "daemon" | "edge") => plan.services.find((s) => s.name === name)!;

test("the daemon unit: absolute ExecStart, HALTON_METER_HOME, no proxy env, Restart=always, RestartSec=1, logs", () => {
  const unit = renderUnit(spec("daemon"));
  const lines = unit.split("\n");
  expect(lines).toContain('ExecStart="/opt/hm/halton-meter" "daemon"');
  expect(lines).toContain('Environment="HALTON_METER_HOME=/home/u/.halton-meter"');
  expect(lines).toContain("UnsetEnvironment=HTTPS_PROXY https_proxy HTTP_PROXY http_proxy ALL_PROXY all_proxy");
  expect(lines).toContain("Restart=always");
  expect(lines).toContain("RestartSec=1");
  expect(lines).toContain("StandardError=append:/home/u/.halton-meter/daemon.err.log");
  expect(lines).toContain("WantedBy=default.target");
  expect(renderUnit(spec("edge")).split("\n")).toContain('ExecStart="/opt/hm/halton-meter-edge"');
});

test("a proxy variable handed in the spec never reaches the unit", () => {
  const unit = renderUnit({ ...spec("daemon"), env: { HALTON_METER_HOME: "/h", HTTPS_PROXY: "http://127.0.0.1:8081", http_proxy: "http://127.0.0.1:8081" } });
  expect(unit).not.toContain("127.0.0.1:8081");
});

test("escaping: quotes, backslashes, % specifiers and $ variables survive as literal text", () => {
  expect(quoteExecArg(`/a b/"q"\\%i$HOME`)).toBe(`"/a b/\\"q\\"\\\\%%i$$HOME"`);
  expect(quoteEnvAssignment("X", `50% "off" \\ $HOME`)).toBe(`"X=50%% \\"off\\" \\\\ $HOME"`);
  expect(() => quoteEnvAssignment("X", "a\nb")).toThrow();
  expect(() => quoteEnvAssignment("1X", "a")).toThrow();
  expect(() => renderUnit({ ...spec("daemon"), argv: ["halton-meter", "daemon"] })).toThrow(/absolute/);
  expect(() => renderUnit({ ...spec("daemon"), name: "watchdog" })).toThrow();
});

test("`systemctl show` blocks are parsed per unit and mapped to status rows", () => {
  const units = parseShow("Id=halton-meter.service\nLoadState=loaded\nActiveState=active\nSubState=running\nMainPID=42\nResult=success\nNRestarts=2\n\nMainPID=0\nId=halton-meter-edge.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nResult=success\n");
  expect(rowFromShow("daemon", units.get("halton-meter.service"))).toMatchObject({ state: "running", pid: 42, detail: "active (running), restarted 2 times" });
  expect(rowFromShow("edge", units.get("halton-meter-edge.service"))).toMatchObject({ state: "not-installed", pid: null });
  expect(rowFromShow("daemon", { LoadState: "loaded", ActiveState: "failed", SubState: "failed", Result: "start-limit-hit", MainPID: "0" })).toMatchObject({ state: "failed", detail: expect.stringContaining("rescue") });
  expect(rowFromShow("daemon", { LoadState: "loaded", ActiveState: "activating", SubState: "auto-restart", Result: "signal", MainPID: "0" })).toMatchObject({ state: "failed", detail: expect.stringContaining("restarts it") });
  expect(rowFromShow("edge", { LoadState: "not-found", ActiveState: "active", SubState: "running", MainPID: "7" })).toMatchObject({ state: "running", pid: 7, detail: expect.stringContaining("unit file removed") });
  expect(rowFromShow("daemon", { LoadState: "loaded", ActiveState: "inactive", SubState: "dead", Result: "success", MainPID: "0", UnitFileState: "enabled" })).toMatchObject({ state: "stopped" });
});

const busFailure: RunResult = { code: 1, stdout: "", stderr: "Failed to connect to bus: No medium found\n" };

test("seed 002: XDG_RUNTIME_DIR unset is explained with its fix; other failures too", () => {
  const noXdg = explainBusFailure(busFailure, {});
  expect(noXdg.reason).toContain("XDG_RUNTIME_DIR is not set");
  expect(noXdg.hint).toMatch(/export XDG_RUNTIME_DIR=\/run\/user\/\d+/);
  expect(noXdg.hint).toContain('sudo loginctl enable-linger "$USER"');
  const withXdg = explainBusFailure({ ...busFailure, stderr: "Failed to connect to bus: No such file or directory" }, { XDG_RUNTIME_DIR: "/run/user/1000" });
  expect(withXdg.reason).toContain("XDG_RUNTIME_DIR=/run/user/1000");
  expect(withXdg.hint).toContain("enable-linger");
  expect(explainBusFailure({ code: 127, stdout: "", stderr: "" }, {}).reason).toContain("no systemd");
  expect(explainBusFailure({ code: 1, stdout: "", stderr: "System has not been booted with systemd as init system (PID 1). Can't operate." }, {}).hint).toContain("fallback");
});

test("the real systemctl here, without XDG_RUNTIME_DIR, is recognised as seed 002's case", async () => {
  const { processRunner } = await import("../../core/service/runner.ts");
  const env = { PATH: process.env.PATH };
  const why = await createSystemdSupervisor({ userHome: sb.home, run: processRunner, env }).unavailable();
  expect(why?.reason).toContain("XDG_RUNTIME_DIR is not set");
});

function recorder(answer: (argv: string[]) => RunResult = () => ({ code: 0, stdout: "", stderr: "" })): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  return { calls, run: async (argv) => (calls.push(argv.join(" ")), answer(argv)) };
}

test("install writes both units and reloads and enables them; start, stop, remove and reset use only systemctl --user", async () => {
  const rec = recorder();
  const sup = createSystemdSupervisor({ userHome: sb.home, run: rec.run, env: { XDG_RUNTIME_DIR: "/x" } });
  const home = join(sb.home, ".halton-meter");
  const p = buildInstallPlan({ home, mode: "apps", kind: "systemd", programs: { meter: ["/opt/hm/halton-meter"], edge: ["/opt/hm/halton-meter-edge"], compiled: true } });
  await sup.install(p, { clean: false });
  const unitDir = join(sb.home, ".config/systemd/user");
  expect(readFileSync(join(unitDir, "halton-meter.service"), "utf8")).toBe(renderUnit(p.services.find((s) => s.name === "daemon")!));
  expect(existsSync(join(unitDir, "halton-meter-edge.service"))).toBe(true);
  await sup.start("daemon", { restart: true });
  await sup.start("watchdog");
  await sup.stop("daemon");
  await sup.release(["edge"]);
  expect(existsSync(join(unitDir, "halton-meter-edge.service"))).toBe(false);
  await sup.remove(["daemon"]);
  expect(existsSync(join(unitDir, "halton-meter.service"))).toBe(false);
  await sup.reset();
  expect(rec.calls).toEqual([
    "systemctl --user daemon-reload",
    "systemctl --user enable halton-meter-edge.service halton-meter.service",
    "systemctl --user restart halton-meter.service",
    "systemctl --user stop halton-meter.service",
    "systemctl --user disable halton-meter-edge.service",
    "systemctl --user daemon-reload",
    "systemctl --user stop halton-meter.service",
    "systemctl --user disable halton-meter.service",
    "systemctl --user daemon-reload",
    "systemctl --user reset-failed halton-meter.service",
    "systemctl --user reset-failed halton-meter-edge.service halton-meter.service",
    "systemctl --user daemon-reload",
  ]);
});

test("a bus failure mid-command is a user error carrying seed 002's fix", async () => {
  const sup = createSystemdSupervisor({ userHome: sb.home, run: recorder(() => busFailure).run, env: {} });
  await expect(sup.start("daemon")).rejects.toMatchObject({ name: "ServiceError", hint: expect.stringContaining("XDG_RUNTIME_DIR") });
  const failing = createSystemdSupervisor({ userHome: sb.home, run: recorder(() => ({ code: 1, stdout: "", stderr: "Job for halton-meter.service failed." })).run, env: { XDG_RUNTIME_DIR: "/x" } });
  await expect(failing.start("daemon")).rejects.toMatchObject({ hint: expect.stringContaining("journalctl --user -u halton-meter.service") });
});
