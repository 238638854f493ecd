// The watchdog: a pure decision per probe, then the real `halton-meter watchdog` process against
// a real loopback /health that stops answering, with networksetup faked.

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createApi } from "../../core/api/app.ts";
import { statePaths } from "../../core/paths.ts";
import { writeEffectivePorts } from "../../core/ports/index.ts";
import { setProxyManaged, writeInstallSentinels } from "../../core/service/sentinels.ts";
import { memoryLog } from "../../core/log/jsonl.ts";
import { observe, runWatchdog, type Streak, type WatchdogAction } from "../../platform/darwin/watchdog.ts";
import { BUN, freePort, repoRoot, waitFor } from "../harness/sandbox.ts";
import { makeDarwinSandbox } from "./_fakes.ts";

describe("observe", () => {
  const transcript = (probes: boolean[], n: number): WatchdogAction[] => {
    let streak: Streak = { failures: 0, tripped: false };
    return probes.map((healthy) => {
      const next = observe(streak, healthy, n);
      streak = next.streak;
      return next.action;
    });
  };

  test("trips once on the Nth failure in a row, and again only after a recovery", () => {
    const F = false;
    const T = true;
    expect(transcript([T, F, F, F, F, F, F, F, T, F, F, F, F, F], 5)).toEqual(["none", "first-failure", "none", "none", "none", "trip", "none", "none", "recovered", "first-failure", "none", "none", "none", "trip"]);
  });

  test("a success in between restarts the count", () => {
    expect(transcript([false, false, true, false, false, false], 3)).toEqual(["first-failure", "none", "recovered", "first-failure", "none", "trip"]);
  });

  test("one failure is enough when N is 1", () => {
    expect(transcript([false, false], 1)).toEqual(["trip", "none"]);
  });
});

describe("runWatchdog", () => {
  test("a failed attempt to turn the proxy off is tried again at the next failed probe", async () => {
    const log = memoryLog();
    const stop = new AbortController();
    let attempts = 0;
    const marks: string[] = [];
    await runWatchdog(
      {
        probe: async () => ({ ok: false, why: "refused" }),
        mode: () => "full",
        proxy: {
          enable: async () => {},
          restore: async () => [],
          reset: async () => {
            if (++attempts === 1) throw new Error("networksetup failed");
            stop.abort();
            return ["Wi-Fi: HTTP proxy 127.0.0.1:8081 turned off"];
          },
        },
        markProxyOff: (detail) => marks.push(detail),
        log,
        intervalMs: 1,
        failuresToTrip: 2,
      },
      stop.signal,
    );
    expect(attempts).toBe(2);
    expect(log.lines.map((l) => l.event)).toEqual(["watchdog.startup.ready", "watchdog.health.failed", "watchdog.proxy.disable_failed", "watchdog.proxy.disabled"]);
    expect(marks).toHaveLength(1);
    expect(marks[0]).toContain("after 3 failed /health probes");
  });
});

describe("halton-meter watchdog", () => {
  const sb = makeDarwinSandbox();
  afterAll(() => sb.cleanup());
  const paths = statePaths(sb.meterHome);
  const logFile = join(sb.meterHome, "watchdog.log");
  const events = () => (existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { event: string; [k: string]: unknown }) : []);
  const ours = { enabled: true, server: "127.0.0.1", port: sb.ports.edge, authenticated: false };
  const corp = { enabled: true, server: "proxy.corp.example", port: 3128, authenticated: false };
  const setSets = () => sb.lines("networksetup").filter((l) => l.startsWith("-set"));
  const network = () => sb.readState<{ proxies: Record<string, { web: typeof ours; secure: typeof ours }> }>("network.json").proxies;

  let hits = 0;
  const app = createApi({ version: "test", pid: process.pid, startedAt: Date.now(), port: () => sb.ports.api });
  const serve = () =>
    Bun.serve({
      hostname: "127.0.0.1",
      port: sb.ports.api,
      fetch: (req) => {
        hits++;
        return app.fetch(req);
      },
    });

  test("full mode: after N failed probes the system proxy goes off, the sentinel says why, SIGTERM ends it cleanly", async () => {
    writeEffectivePorts(paths.effectivePorts, sb.ports);
    writeInstallSentinels(paths, { mode: "full", supervisor: "launchd" });
    setProxyManaged(paths, true);
    sb.setState("network.json", { services: [{ name: "Wi-Fi" }, { name: "Ethernet" }], proxies: { "Wi-Fi": { web: ours, secure: ours }, Ethernet: { web: corp, secure: ours } } });
    let api = serve();
    const wd = sb.spawn([BUN, join(repoRoot, "cmd", "halton-meter.ts"), "watchdog", "--interval-ms", "50", "--failures", "3"]);

    await waitFor(() => hits >= 5, "five healthy probes");
    expect(setSets()).toEqual([]);
    api.stop(true);
    await waitFor(() => events().some((e) => e.event === "watchdog.proxy.disabled"), "the watchdog to turn the proxy off", 20_000);
    expect(network()["Wi-Fi"]).toEqual({ web: { ...ours, enabled: false }, secure: { ...ours, enabled: false } });
    expect(setSets().sort()).toEqual(["-setsecurewebproxystate Ethernet off", "-setsecurewebproxystate Wi-Fi off", "-setwebproxystate Wi-Fi off"]);
    expect(network().Ethernet!.web).toEqual(corp);
    const disabled = events().find((e) => e.event === "watchdog.proxy.disabled")!;
    expect(disabled.failures).toBe(3);
    expect(events().filter((e) => e.event === "watchdog.health.failed")).toHaveLength(1);
    expect(readFileSync(paths.proxyManaged, "utf8")).toContain("the watchdog turned the system proxy off");

    api = serve();
    await waitFor(() => events().some((e) => e.event === "watchdog.health.recovered"), "the recovery to be logged");
    api.stop(true);
    wd.kill("SIGTERM");
    expect(await wd.exited).toBe(0);
    expect(events().at(-1)!.event).toBe("watchdog.exit");
    // One outage, one action: the proxy was turned off once.
    expect(events().filter((e) => e.event === "watchdog.proxy.disabled")).toHaveLength(1);
  }, 30_000);

  test("outside full mode the watchdog only logs: the system proxy is not ours to touch", async () => {
    writeInstallSentinels(paths, { mode: "apps", supervisor: "launchd" });
    writeEffectivePorts(paths.effectivePorts, { ...sb.ports, api: freePort() });
    rmSync(logFile, { force: true });
    sb.setState("network.json", { services: [{ name: "Wi-Fi" }], proxies: { "Wi-Fi": { web: ours, secure: ours } } });
    sb.clearCalls();
    const wd = sb.spawn([BUN, join(repoRoot, "cmd", "halton-meter.ts"), "watchdog", "--interval-ms", "20", "--failures", "2"]);
    await waitFor(() => events().some((e) => e.event === "watchdog.daemon.down"), "the outage to be logged", 20_000);
    wd.kill("SIGTERM");
    expect(await wd.exited).toBe(0);
    expect(sb.calls("networksetup")).toEqual([]);
    expect(network()["Wi-Fi"]!.web).toEqual(ours);
  }, 30_000);

  test("a bad flag is a usage error", async () => {
    const p = sb.spawn([BUN, join(repoRoot, "cmd", "halton-meter.ts"), "watchdog", "--failures", "zero"]);
    expect(await p.exited).toBe(2);
    expect(await new Response(p.stderr as ReadableStream).text()).toContain("--failures must be a whole number");
  });
});
