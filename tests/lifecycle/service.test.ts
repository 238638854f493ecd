// The small pure pieces of the lifecycle: programs and plans, sentinels, the panel, flags, the
// run proxy URL against the daemon's decoder, the canary's path, log tails, the picker.

import { afterAll, expect, test } from "bun:test";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectFromProxyAuth } from "../../core/mitm/connect.ts";
import { SELF_TEST_PATH, selfTestRequest, selfTestResponse } from "../../core/mitm/self-test.ts";
import { statePaths } from "../../core/paths.ts";
import { tailLines } from "../../core/service/log-tail.ts";
import { renderPanel } from "../../core/service/panel.ts";
import { buildInstallPlan, isCompiled, programsFor } from "../../core/service/plan.ts";
import { clearSentinels, readSentinels, setGracefulStop, setProxyManaged, writeInstallSentinels } from "../../core/service/sentinels.ts";
import { pickPlatform } from "../../cmd/_platform.ts";
import { modeFromFlags } from "../../cmd/commands/init.ts";
import { proxyUrl } from "../../cmd/commands/run.ts";
import { makeSandbox } from "../harness/sandbox.ts";

const sb = makeSandbox("hm-svc-");
afterAll(() => sb.cleanup());

test("programs: a compiled binary has its edge beside it; a source run uses bun with the two entry files", () => {
  expect(isCompiled("/$bunfs/root/halton-meter")).toBe(true);
  expect(programsFor({ execPath: "/usr/local/bin/halton-meter", main: "/$bunfs/root/halton-meter" })).toEqual({ meter: ["/usr/local/bin/halton-meter"], edge: ["/usr/local/bin/halton-meter-edge"], compiled: true });
  expect(programsFor({ execPath: "/x/bun", main: "/src/cmd/halton-meter.ts" })).toEqual({ meter: ["/x/bun", "/src/cmd/halton-meter.ts"], edge: ["/x/bun", "/src/cmd/edge.ts"], compiled: false });
});

test("plans: edge and daemon everywhere, watchdog and userenv only for launchd; HALTON_METER_HOME always", () => {
  const programs = { meter: ["/b/halton-meter"], edge: ["/b/halton-meter-edge"], compiled: true };
  const linux = buildInstallPlan({ home: "/h", mode: "apps", kind: "systemd", programs });
  expect(linux.services.map((s) => s.name)).toEqual(["edge", "daemon"]);
  expect(linux.services[1]).toEqual({ name: "daemon", argv: ["/b/halton-meter", "daemon"], env: { HALTON_METER_HOME: "/h" }, stdoutLog: "/h/daemon.out.log", stderrLog: "/h/daemon.err.log" });
  const mac = buildInstallPlan({ home: "/h", mode: "full", kind: "launchd", programs });
  expect(mac.services.map((s) => s.argv.join(" "))).toEqual(["/b/halton-meter-edge", "/b/halton-meter daemon", "/b/halton-meter watchdog", "/b/halton-meter userenv"]);
});

test("sentinels: written, read back, flags on and off, cleared; garbage reads as absent", () => {
  const paths = statePaths(sb.meterHome);
  expect(readSentinels(paths)).toEqual({ mode: null, supervisor: null, proxyManaged: false, gracefulStop: false });
  writeInstallSentinels(paths, { mode: "env-only", supervisor: "fallback" });
  setGracefulStop(paths, true);
  setProxyManaged(paths, true);
  expect(readSentinels(paths)).toEqual({ mode: "env-only", supervisor: "fallback", proxyManaged: true, gracefulStop: true });
  setGracefulStop(paths, false);
  expect(readSentinels(paths).gracefulStop).toBe(false);
  writeFileSync(paths.installMode, "turbo\n");
  expect(readSentinels(paths).mode).toBeNull();
  clearSentinels(paths);
  expect(readSentinels(paths)).toEqual({ mode: null, supervisor: null, proxyManaged: false, gracefulStop: false });
});

test("the panel: a titled box, labels aligned, long values wrapped inside it", () => {
  const lines = renderPanel("Halton Meter status", [["daemon", "running"], ["supervisor", "x ".repeat(80).trim()]], ["footer line"]);
  const width = lines[0]!.length;
  expect(lines.every((l) => l.length === width)).toBe(true);
  expect(lines[0]).toStartWith("╭─ Halton Meter status ");
  expect(lines[1]).toBe(`│ daemon      running${" ".repeat(width - 23)} │`);
  expect(lines.at(-1)).toStartWith("╰");
  expect(lines.some((l) => l.includes("footer line"))).toBe(true);
});

test("mode flags: --apps, --no-apps, --full, none; two at once is a usage error", () => {
  expect(modeFromFlags({ apps: true })).toBe("apps");
  expect(modeFromFlags({ apps: false })).toBe("env-only");
  expect(modeFromFlags({ full: true })).toBe("full");
  expect(modeFromFlags({})).toBeNull();
  expect(() => modeFromFlags({ full: true, apps: true })).toThrow(/one of/);
});

test("run's proxy URL carries the project the way the daemon decodes it, as curl would send it", () => {
  for (const project of ["alpha", "team@corp", "a.b-c+d_e"]) {
    const url = new URL(proxyUrl(8081, project));
    const basic = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64");
    expect(projectFromProxyAuth(`Basic ${basic}`)).toBe(project);
    expect(url.host).toBe("127.0.0.1:8081");
  }
  expect(proxyUrl(8081, null)).toBe("http://127.0.0.1:8081");
});

test("the canary path: only the reserved path, nonce checked; the answer closes and echoes the nonce", () => {
  expect(selfTestRequest(`${SELF_TEST_PATH}?nonce=abcdefgh12`)).toEqual({ nonce: "abcdefgh12" });
  expect(selfTestRequest(`${SELF_TEST_PATH}?nonce=short`)).toEqual({ nonce: null });
  expect(selfTestRequest(SELF_TEST_PATH)).toEqual({ nonce: null });
  expect(selfTestRequest(`${SELF_TEST_PATH}x?nonce=abcdefgh12`)).toBeNull();
  expect(selfTestRequest("/v1/messages")).toBeNull();
  const ok = selfTestResponse("GET", "abcdefgh12").bytes.toString();
  expect(ok).toStartWith("HTTP/1.1 200 OK\r\n");
  expect(ok).toContain("Connection: close\r\n");
  expect(ok.endsWith('{"ok":true,"nonce":"abcdefgh12"}')).toBe(true);
  expect(selfTestResponse("POST", "abcdefgh12").status).toBe(400);
});

test("log tails: the last lines, none for a missing file, a partial first line dropped on big files", () => {
  const f = join(sb.root, "t.log");
  expect(tailLines(f)).toEqual([]);
  writeFileSync(f, "a\nb\nc\n");
  expect(tailLines(f, 2)).toEqual(["b", "c"]);
  appendFileSync(f, `${"x".repeat(70_000)}\nlast\n`);
  expect(tailLines(f, 5)).toEqual(["last"]);
});

test("the picker: a bad override is a usage error; forced systemd without a bus explains seed 002; otherwise fallback says why", async () => {
  const env = { PATH: process.env.PATH, HOME: sb.home };
  await expect(pickPlatform({ home: sb.meterHome, env: { ...env, HALTON_METER_SUPERVISOR: "upstart" } })).rejects.toMatchObject({ exitCode: 2 });
  await expect(pickPlatform({ home: sb.meterHome, env: { ...env, HALTON_METER_SUPERVISOR: "systemd" } })).rejects.toMatchObject({ hint: expect.stringContaining("XDG_RUNTIME_DIR=/run/user/") });
  const auto = await pickPlatform({ home: sb.meterHome, env });
  expect(auto.supervisor.kind).toBe("fallback");
  expect(auto.passedOver).toMatchObject({ kind: "systemd", reason: expect.stringContaining("XDG_RUNTIME_DIR is not set") });
  expect(auto.systemProxy).toBeNull();
  expect((await pickPlatform({ home: sb.meterHome, env, recorded: "systemd" })).supervisor.kind).toBe("systemd");
});
