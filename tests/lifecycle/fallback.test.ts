// The whole lifecycle on the no-systemd fallback, with the compiled binaries, in order:
// nothing installed -> failed init --clean rolls back -> init (twice) -> stop/start -> kill -9 ->
// run -> rescue -> uninstall --graceful -> --purge -> --purge --include-logs. A client keeps
// CONNECTing through the edge meanwhile and must never see a failure.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTimeOf } from "../../platform/linux/proc.ts";
import { echoServer } from "../harness/raw.ts";
import { canConnect, waitFor } from "../harness/sandbox.ts";
import { clientLoop, type DataGuard, guardData, type LifecycleEnv, startLifecycleEnv } from "./_env.ts";

let le: LifecycleEnv;
let guard: DataGuard;
let loop: ReturnType<typeof clientLoop> | null = null;
const echo = echoServer();
let edgePid = 0;

beforeAll(async () => {
  le = await startLifecycleEnv("hm-life-fb-", { HALTON_METER_SUPERVISOR: "fallback" });
}, 60_000);
afterAll(async () => {
  await loop?.stop();
  echo.stop();
  await le?.cleanup();
});

const bashrc = () => join(le.sb.home, ".bashrc");
const blocks = () => (existsSync(bashrc()) ? readFileSync(bashrc(), "utf8").split(">>> halton-meter >>>").length - 1 : 0);
const alive = (pid: number) => startTimeOf(pid) !== null;

test("with nothing installed: reset-proxy is safe (exit 0, writes nothing), rescue refuses with 1, --full is refused on Linux", async () => {
  const reset = await le.cli(["reset-proxy"]);
  expect(reset.code).toBe(0);
  expect(reset.stdout).toContain("none on this platform");
  expect(existsSync(bashrc())).toBe(false);
  const rescue = await le.cli(["rescue"]);
  expect(rescue.code).toBe(1);
  expect(rescue.stderr).toContain("no prior install");
  const full = await le.cli(["init", "--full", "--non-interactive"]);
  expect(full.code).toBe(2);
  expect(full.stderr).toContain("Linux has none");
});

test("a self-test that fails under init --clean rolls back (exit 1, daemon log tail) and keeps the data", async () => {
  const good = readFileSync(join(le.sb.meterHome, "config.toml"), "utf8");
  writeFileSync(join(le.sb.meterHome, "config.toml"), good.replace(/ca_file = ".*"/, 'ca_file = "/nonexistent/ca.pem"'));
  const r = await le.cli(["init", "--clean", "--non-interactive"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("self-test failed");
  expect(r.stdout).toContain("daemon log tail");
  expect(r.stdout).toContain("ca_file cannot be read");
  expect(r.stderr).toContain("rolled back");
  expect(blocks()).toBe(0);
  expect(existsSync(join(le.sb.meterHome, "install-mode"))).toBe(false);
  expect(existsSync(join(le.sb.meterHome, "ca.pem"))).toBe(true);
  const s = await le.status();
  expect(le.service(s, "daemon").state).toBe("not-installed");
  // The edge it started keeps serving in passthrough: tools already pointed at it still work.
  expect(le.service(s, "edge").state).toBe("running");
  writeFileSync(join(le.sb.meterHome, "config.toml"), good);
}, 60_000);

test("init: fallback chosen as told, both processes up, self-test passed, one rc block, sentinels written", async () => {
  const r = await le.cli(["init", "--non-interactive"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("nothing restarts the meter");
  expect(r.stdout).toContain("self-test store");
  const s = await le.status();
  expect(s.supervisor.kind).toBe("fallback");
  expect(s.mode).toBe("apps");
  expect(s.healthy).toBe(true);
  expect(s.ports).toEqual(le.sb.ports);
  expect(le.service(s, "watchdog")).toMatchObject({ state: "not-applicable", detail: expect.stringContaining("not on Linux") });
  edgePid = le.service(s, "edge").pid!;
  expect(edgePid).toBeGreaterThan(0);
  expect(blocks()).toBe(1);
  expect(readFileSync(bashrc(), "utf8")).toContain(`HTTPS_PROXY='http://127.0.0.1:${le.sb.ports.edge}'`);
  expect(le.rows().some((row) => row.provider === "halton-meter" && row.endpoint === "self-test")).toBe(true);
  guard = guardData(le);
}, 60_000);

test("init again, and init --clean, are idempotent: same edge pid, same ports, one rc block, data untouched", async () => {
  const r = await le.cli(["init", "--non-interactive"]);
  expect(r.code).toBe(0);
  const s = await le.status();
  expect(le.service(s, "edge").pid).toBe(edgePid);
  expect(s.ports).toEqual(le.sb.ports);
  expect(blocks()).toBe(1);
  guard.check("init (second run)");
  const clean = await le.cli(["init", "--clean", "--non-interactive"]);
  expect(clean.code).toBe(0);
  expect(clean.stdout).toContain("rebuilt from scratch");
  expect(le.service(await le.status(), "edge").pid).toBe(edgePid);
  guard.check("init --clean");
  loop = clientLoop(le.sb.ports.edge, echo.port);
}, 60_000);

test("stop: the daemon goes, the edge keeps its pid and port; start brings the daemon back healthy", async () => {
  const before = await le.status();
  const daemonPid = le.service(before, "daemon").pid!;
  const stop = await le.cli(["stop", "--quiet"]);
  expect(stop.code).toBe(0);
  expect(stop.stdout.trim().split("\n")).toHaveLength(1);
  expect(alive(daemonPid)).toBe(false);
  const stopped = await le.status();
  expect(le.service(stopped, "daemon").state).toBe("stopped");
  expect(le.service(stopped, "edge").pid).toBe(edgePid);
  expect(stopped.healthy).toBe(false);
  expect(stopped.sentinels.gracefulStop).toBe(true);
  expect((await le.cli(["status"])).code).toBe(1);
  const start = await le.cli(["start"]);
  expect(start.code).toBe(0);
  expect(start.stdout).toContain("healthy");
  expect(start.stdout).toContain("already up");
  const s = await le.status();
  expect(s.healthy).toBe(true);
  expect(le.service(s, "edge").pid).toBe(edgePid);
  expect(s.sentinels.gracefulStop).toBe(false);
  guard.check("stop/start");
}, 60_000);

test("kill -9 of the daemon: status says it died and nothing restarts it; start revives it; the edge never moves", async () => {
  const daemonPid = le.service(await le.status(), "daemon").pid!;
  process.kill(daemonPid, "SIGKILL");
  await waitFor(() => !alive(daemonPid), "the daemon to die");
  const s = await le.status();
  expect(le.service(s, "daemon")).toMatchObject({ state: "failed", detail: expect.stringContaining("nothing restarts it") });
  expect((await le.cli(["start", "--quiet"])).code).toBe(0);
  const after = await le.status();
  expect(after.healthy).toBe(true);
  expect(le.service(after, "daemon").pid).not.toBe(daemonPid);
  expect(le.service(after, "edge").pid).toBe(edgePid);
  guard.check("kill -9 + start");
}, 60_000);

test("run --project: the command goes through the meter, its row carries the project; exit codes pass through", async () => {
  const r = await le.cli(["run", "--project", "alpha", "--", "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "https://api.anthropic.com/v1/messages", "-H", "content-type: application/json", "-d", '{"model":"claude-sonnet-4-20250514","max_tokens":8,"messages":[]}']);
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe("200");
  expect(r.code).toBe(0);
  const row = await waitFor(() => le.rows().find((x) => x.provider === "anthropic"), "the curl row");
  expect(row).toMatchObject({ project: "alpha", project_source: "proxy-auth", client: "curl" });
  expect((await le.cli(["run", "--", "sh", "-c", "exit 7"])).code).toBe(7);
  expect((await le.cli(["run", "--project", "bad project", "--", "true"])).code).toBe(2);
  guard.check("run");
}, 60_000);

test("rescue: exit 0, a fresh daemon, the same edge, the data kept", async () => {
  const daemonPid = le.service(await le.status(), "daemon").pid!;
  const r = await le.cli(["rescue"]);
  // The whole output on a failure: a rescue that ends early says why only there.
  expect({ code: r.code, stderr: r.stderr, stdout: r.stdout.includes("Rescue complete") ? "Rescue complete" : r.stdout }).toEqual({ code: 0, stderr: "", stdout: "Rescue complete" });
  expect(r.stdout).toContain(`edge: pid ${edgePid} kept`);
  const s = await le.status();
  expect(s.healthy).toBe(true);
  expect(le.service(s, "daemon").pid).not.toBe(daemonPid);
  expect(le.service(s, "edge").pid).toBe(edgePid);
  expect(blocks()).toBe(1);
  guard.check("rescue");
}, 60_000);

test("through stop, kill -9, start and rescue the client loop never failed", async () => {
  const result = await loop!.stop();
  loop = null;
  expect(result.failures).toEqual([]);
  expect(result.ok).toBeGreaterThan(0);
});

test("uninstall --graceful: the daemon is gone, the edge keeps serving until reboot, the rc block is gone", async () => {
  const r = await le.cli(["uninstall", "--graceful"]);
  expect(r.code).toBe(0);
  const s = await le.status();
  expect(le.service(s, "daemon").state).toBe("not-installed");
  expect(le.service(s, "edge")).toMatchObject({ state: "running", pid: edgePid, detail: expect.stringContaining("uninstalled gracefully") });
  expect(await canConnect(le.sb.ports.edge)).toBe(true);
  expect(blocks()).toBe(0);
  guard.check("uninstall --graceful");
}, 60_000);

test("uninstall --purge: the edge stops, sentinels and state go, db, config and CA stay", async () => {
  const r = await le.cli(["uninstall", "--purge"]);
  expect(r.code).toBe(0);
  expect(alive(edgePid)).toBe(false);
  for (const f of ["install-mode", "supervisor", "graceful-stop", "effective-ports.json", "run"]) expect(existsSync(join(le.sb.meterHome, f))).toBe(false);
  guard.check("uninstall --purge");
  expect((await le.cli(["rescue"])).code).toBe(1);
}, 60_000);

test("uninstall --purge --include-logs refuses without --yes when nobody can confirm, then deletes everything with it", async () => {
  const refused = await le.cli(["uninstall", "--purge", "--include-logs"]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("without --yes");
  guard.check("a refused uninstall --purge --include-logs");
  expect((await le.cli(["uninstall", "--include-logs", "--yes"])).code).toBe(2);
  const r = await le.cli(["uninstall", "--purge", "--include-logs", "--yes"]);
  expect(r.code).toBe(0);
  expect(existsSync(le.sb.meterHome)).toBe(false);
}, 60_000);
