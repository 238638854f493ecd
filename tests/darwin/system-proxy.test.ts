// The full-mode system proxy against a recording fake of networksetup.

import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { statePaths } from "../../core/paths.ts";
import { writeEffectivePorts } from "../../core/ports/index.ts";
import { createSystemProxy } from "../../platform/darwin/system-proxy.ts";
import { makeDarwinSandbox } from "./_fakes.ts";

interface Proxy {
  enabled: boolean;
  server: string;
  port: number;
  authenticated: boolean;
}
type Network = { services: Array<{ name: string; disabled?: boolean }>; proxies: Record<string, { web: Proxy; secure: Proxy }> };

const sb = makeDarwinSandbox();
afterAll(() => sb.cleanup());

const off: Proxy = { enabled: false, server: "", port: 0, authenticated: false };
const corp: Proxy = { enabled: true, server: "proxy.corp.example", port: 3128, authenticated: false };
const corpDisabled: Proxy = { enabled: false, server: "10.1.2.3", port: 8080, authenticated: false };
const authed: Proxy = { enabled: true, server: "auth.corp.example", port: 8443, authenticated: true };
const ORIGINAL: Network = {
  services: [{ name: "Wi-Fi" }, { name: "USB 10/100/1000 LAN" }, { name: "Bluetooth PAN", disabled: true }, { name: "Thunderbolt Bridge" }],
  proxies: {
    "Wi-Fi": { web: off, secure: corp },
    "USB 10/100/1000 LAN": { web: corpDisabled, secure: off },
    "Bluetooth PAN": { web: off, secure: off },
    "Thunderbolt Bridge": { web: authed, secure: authed },
  },
};
const network = () => sb.readState<Network>("network.json");
const snapshotFile = join(sb.meterHome, "system-proxy-snapshot.json");
const managed = statePaths(sb.meterHome).proxyManaged;
const proxy = createSystemProxy({ home: sb.meterHome, run: sb.run });

beforeEach(() => {
  sb.setState("network.json", ORIGINAL);
  rmSync(snapshotFile, { force: true });
  rmSync(managed, { force: true });
  sb.clearCalls();
});

describe("enable and restore", () => {
  test("enable snapshots every service first, then points them at the edge", async () => {
    await proxy.enable(8181);
    const now = network().proxies;
    const ours = { enabled: true, server: "127.0.0.1", port: 8181, authenticated: false };
    for (const svc of ["Wi-Fi", "USB 10/100/1000 LAN", "Bluetooth PAN"]) expect(now[svc]).toEqual({ web: ours, secure: ours });
    // An authenticated proxy's password cannot be read back: it is left alone.
    expect(now["Thunderbolt Bridge"]).toEqual({ web: authed, secure: authed });
    const snap = JSON.parse(readFileSync(snapshotFile, "utf8"));
    expect(snap.port).toBe(8181);
    expect(snap.services).toEqual(ORIGINAL.proxies);
    expect(existsSync(managed)).toBe(true);
    const lines = sb.lines("networksetup");
    expect(lines[0]).toBe("-listallnetworkservices");
    expect(lines.filter((l) => l.startsWith("-get"))).toHaveLength(8);
    expect(lines.filter((l) => l.startsWith("-set"))).toEqual(["Wi-Fi", "USB 10/100/1000 LAN", "Bluetooth PAN"].flatMap((s) => [`-setwebproxy ${s} 127.0.0.1 8181`, `-setsecurewebproxy ${s} 127.0.0.1 8181`]));
    expect(lines.findIndex((l) => l.startsWith("-set"))).toBeGreaterThan(lines.findLastIndex((l) => l.startsWith("-get")));
  });

  test("a second enable keeps the first snapshot instead of recording our own proxy as the original", async () => {
    await proxy.enable(8181);
    await proxy.enable(8181);
    expect(JSON.parse(readFileSync(snapshotFile, "utf8")).services).toEqual(ORIGINAL.proxies);
  });

  test("restore puts every setting back and forgets the snapshot", async () => {
    await proxy.enable(8181);
    sb.clearCalls();
    const done = await proxy.restore();
    const now = network().proxies;
    for (const [svc, before] of Object.entries(ORIGINAL.proxies)) {
      for (const kind of ["web", "secure"] as const) {
        const was = before[kind];
        expect(now[svc]![kind].enabled).toBe(was.enabled);
        // Where there was a server it is back; where there was none, macOS ignores the field while off.
        if (was.server !== "") expect(now[svc]![kind]).toEqual(was);
      }
    }
    expect(sb.lines("networksetup")).toContain("-setsecurewebproxy Wi-Fi proxy.corp.example 3128");
    expect(sb.lines("networksetup")).toContain("-setwebproxystate USB 10/100/1000 LAN off");
    expect(done).toContain("Thunderbolt Bridge: HTTP proxy was authenticated, left unchanged");
    expect(existsSync(snapshotFile)).toBe(false);
    expect(existsSync(managed)).toBe(false);
  });

  test("a service that vanished since enable is skipped, the rest restored", async () => {
    await proxy.enable(8181);
    const net = network();
    net.services = net.services.filter((s) => s.name !== "Wi-Fi");
    sb.setState("network.json", net);
    const done = await proxy.restore();
    expect(done).toContain("Wi-Fi: no longer exists, skipped");
    expect(network().proxies["USB 10/100/1000 LAN"]!.web).toEqual(corpDisabled);
    expect(existsSync(snapshotFile)).toBe(false);
  });
});

describe("reset", () => {
  test("with nothing installed it changes nothing and writes no file", async () => {
    const bare = createSystemProxy({ home: join(sb.root, "never-installed"), run: sb.run });
    expect(await bare.reset()).toEqual(["no network service's proxy points at Halton Meter"]);
    expect(sb.lines("networksetup").filter((l) => l.startsWith("-set"))).toEqual([]);
    expect(existsSync(join(sb.root, "never-installed"))).toBe(false);
    expect(network()).toEqual(ORIGINAL);
  });

  test("turns off only proxies at 127.0.0.1 on one of our ports, without any snapshot or sentinel", async () => {
    writeEffectivePorts(statePaths(sb.meterHome).effectivePorts, { edge: 8555, internal: 8556, api: 8557 });
    const ours = (port: number): Proxy => ({ enabled: true, server: "127.0.0.1", port, authenticated: false });
    const net = structuredClone(ORIGINAL);
    net.proxies["Wi-Fi"]!.web = ours(8081);
    net.proxies["USB 10/100/1000 LAN"]!.secure = ours(8555);
    net.proxies["Bluetooth PAN"]!.secure = ours(9999);
    sb.setState("network.json", net);
    const done = await proxy.reset();
    expect(done).toEqual(["Wi-Fi: HTTP proxy 127.0.0.1:8081 turned off", "USB 10/100/1000 LAN: HTTPS proxy 127.0.0.1:8555 turned off"]);
    const now = network().proxies;
    expect(now["Wi-Fi"]!.web.enabled).toBe(false);
    expect(now["Wi-Fi"]!.secure).toEqual(corp);
    expect(now["USB 10/100/1000 LAN"]!.secure.enabled).toBe(false);
    expect(now["Bluetooth PAN"]!.secure).toEqual(ours(9999));
    rmSync(statePaths(sb.meterHome).effectivePorts);
  });

  test("where networksetup cannot run, every operation fails with the reason and a hint", async () => {
    const bare = createSystemProxy({ home: sb.meterHome, run: (argv) => sb.run(argv, { env: { PATH: "/nonexistent" } }) });
    for (const op of [() => bare.reset(), () => bare.restore(), () => bare.enable(8181)]) {
      const err = (await op().catch((e: Error) => e)) as Error & { hint?: string };
      expect(err.message).toContain("networksetup is not on this machine");
      expect(err.hint).toContain("reset-proxy");
    }
    expect(existsSync(snapshotFile)).toBe(false);
  });
});
