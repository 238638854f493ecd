// The daemon's share of the full-mode system proxy (seed 003, invariants 5 and 7): back on at
// startup, off at exit, against the real SystemProxy and a recording fake of networksetup.

import { afterAll, beforeEach, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { EventLog } from "../../core/log/jsonl.ts";
import { statePaths } from "../../core/paths.ts";
import { writeEffectivePorts } from "../../core/ports/index.ts";
import { type DaemonProxyDeps, proxyOffAtExit, proxyOnAtStartup } from "../../core/service/daemon-proxy.ts";
import { readSentinels, setProxyManaged, writeInstallSentinels } from "../../core/service/sentinels.ts";
import type { InstallMode } from "../../core/service/supervisor.ts";
import { createSystemProxy } from "../../platform/darwin/system-proxy.ts";
import { makeDarwinSandbox } from "./_fakes.ts";

interface Proxy {
  enabled: boolean;
  server: string;
  port: number;
  authenticated: boolean;
}
const off: Proxy = { enabled: false, server: "", port: 0, authenticated: false };
const corp: Proxy = { enabled: true, server: "proxy.corp.example", port: 3128, authenticated: false };

const sb = makeDarwinSandbox("hm-daemon-proxy-");
afterAll(() => sb.cleanup());
const paths = statePaths(sb.meterHome);
const EDGE = sb.ports.edge;
const ours: Proxy = { enabled: true, server: "127.0.0.1", port: EDGE, authenticated: false };
const snapshotFile = join(sb.meterHome, "system-proxy-snapshot.json");
const proxy = createSystemProxy({ home: sb.meterHome, run: sb.run });
const wifi = () => sb.readState<{ proxies: Record<string, { web: Proxy; secure: Proxy }> }>("network.json").proxies["Wi-Fi"];
const sets = () => sb.lines("networksetup").filter((l) => l.startsWith("-set"));

let events: Array<{ name: string; fields: Record<string, unknown> }> = [];
const log: EventLog = { event: (name, fields = {}) => void events.push({ name, fields }), close: () => {} };
const deps = (over: Partial<DaemonProxyDeps> = {}): DaemonProxyDeps => ({ proxy, sentinels: () => readSentinels(paths), log, budgetMs: 10_000, ...over });
const installed = (mode: InstallMode, managed: boolean) => {
  writeInstallSentinels(paths, { mode, supervisor: "launchd" });
  setProxyManaged(paths, managed);
};

beforeEach(() => {
  sb.setState("network.json", { services: [{ name: "Wi-Fi" }], proxies: { "Wi-Fi": { web: off, secure: corp } } });
  for (const knob of ["networksetup-hangs", "networksetup-set-fails"]) rmSync(join(sb.state, knob), { force: true });
  rmSync(snapshotFile, { force: true });
  writeEffectivePorts(paths.effectivePorts, { edge: EDGE, internal: sb.ports.internal, api: sb.ports.api });
  events = [];
});

test("full mode: startup turns back on what the watchdog turned off, keeping the first snapshot", async () => {
  installed("full", false);
  await proxy.enable(EDGE);
  await proxy.reset(); // the watchdog's trip
  expect(wifi()).toEqual({ web: { ...ours, enabled: false }, secure: { ...ours, enabled: false } });
  await proxyOnAtStartup(deps(), EDGE);
  expect(wifi()).toEqual({ web: ours, secure: ours });
  expect(JSON.parse(readFileSync(snapshotFile, "utf8")).services["Wi-Fi"]).toEqual({ web: off, secure: corp });
  expect(events.map((e) => e.name)).toEqual(["daemon.proxy.enabled"]);
});

test("exit turns our proxy off and keeps the snapshot and the sentinel, so the next startup turns it on", async () => {
  installed("full", false);
  await proxy.enable(EDGE);
  await proxyOffAtExit(deps(), "SIGTERM", Promise.resolve());
  expect(wifi()).toEqual({ web: { ...ours, enabled: false }, secure: { ...ours, enabled: false } });
  expect(existsSync(snapshotFile)).toBe(true);
  expect(readSentinels(paths).proxyManaged).toBe(true);
  expect(events.at(-1)).toMatchObject({ name: "daemon.proxy.disabled", fields: { signal: "SIGTERM" } });
  await proxyOnAtStartup(deps(), EDGE);
  expect(wifi()).toEqual({ web: ours, secure: ours });
  // The snapshot still holds the proxies from before full mode: uninstall can put them back.
  await proxy.restore();
  expect(wifi()!.secure).toEqual(corp);
  expect(wifi()!.web.enabled).toBe(false);
});

test("nothing is touched outside full mode, without the sentinel, or where there is no system proxy", async () => {
  for (const [mode, managed, p] of [["apps", true, proxy], ["full", false, proxy], ["full", true, null]] as const) {
    installed(mode, managed);
    sb.clearCalls();
    await proxyOnAtStartup(deps({ proxy: p }), EDGE);
    await proxyOffAtExit(deps({ proxy: p }), "SIGTERM", Promise.resolve());
    expect(sb.calls("networksetup")).toEqual([]);
  }
  expect(wifi()).toEqual({ web: off, secure: corp });
  expect(events).toEqual([]);
});

test("exit waits for a startup still turning the proxy on, then turns it off", async () => {
  installed("full", true);
  const startup = proxyOnAtStartup(deps(), EDGE);
  await proxyOffAtExit(deps(), "SIGTERM", startup);
  expect(events.map((e) => e.name)).toEqual(["daemon.proxy.enabled", "daemon.proxy.disabled"]);
  expect(wifi()).toEqual({ web: { ...ours, enabled: false }, secure: { ...ours, enabled: false } });
});

test("a networksetup that refuses is logged, never thrown", async () => {
  installed("full", false);
  await proxy.enable(EDGE);
  sb.setState("networksetup-set-fails", "");
  await proxyOffAtExit(deps(), "SIGTERM", Promise.resolve());
  expect(events.at(-1)).toMatchObject({ name: "daemon.proxy.disable_failed", fields: { signal: "SIGTERM", reason: expect.stringContaining("administrator") } });
  await proxyOnAtStartup(deps(), EDGE);
  expect(events.at(-1)).toMatchObject({ name: "daemon.proxy.enable_failed", fields: { reason: expect.stringContaining("administrator") } });
});

test("a networksetup that hangs is given up on after the budget: the exit path goes on", async () => {
  installed("full", true);
  sb.setState("networksetup-hangs", "");
  sb.clearCalls();
  await proxyOffAtExit(deps({ budgetMs: 300 }), "SIGTERM", Promise.resolve());
  expect(events).toEqual([{ name: "daemon.proxy.disable_failed", fields: { signal: "SIGTERM", reason: "the system proxy did not answer within 300 ms" } }]);
  expect(sb.lines("networksetup")).toEqual(["-listallnetworkservices"]);
  expect(sets()).toEqual([]);
});
