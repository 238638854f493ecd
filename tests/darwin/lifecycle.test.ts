// The macOS lifecycle end to end: `halton-meter init|status|stop|start|rescue|reset-proxy|
// uninstall` run from source with HALTON_METER_SUPERVISOR=launchd, a fake launchd that runs the
// real edge, daemon, watchdog and userenv, and fakes of networksetup and security on PATH.

import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { statePaths } from "../../core/paths.ts";
import { DEFAULT_PORTS } from "../../core/ports/index.ts";
import { RC_BEGIN, rcEnv, renderRcBlock } from "../../core/service/rc-block.ts";
import { queryStore } from "../harness/meter.ts";
import { BUN, canConnect, portsToml, repoRoot, waitFor } from "../harness/sandbox.ts";
import { type DarwinSandbox, FAKES_BIN, isRunning, makeDarwinSandbox, plistlib } from "./_fakes.ts";

const LABELS = ["com.haltonlabs.meter", "com.haltonlabs.meter.watchdog", "com.haltonlabs.meter.edge", "com.haltonlabs.meter.userenv"];
const [DAEMON, WATCHDOG, EDGE] = LABELS as [string, string, string, string];

interface Proxy {
  enabled: boolean;
  server: string;
  port: number;
  authenticated: boolean;
}
const corp: Proxy = { enabled: true, server: "proxy.corp.example", port: 3128, authenticated: false };
const off: Proxy = { enabled: false, server: "", port: 0, authenticated: false };

function darwin(): DarwinSandbox {
  const sb = makeDarwinSandbox("hm-darwin-e2e-");
  sb.writeConfig(portsToml(sb.ports));
  sb.setState("network.json", { services: [{ name: "Wi-Fi" }, { name: "Ethernet" }], proxies: { "Wi-Fi": { web: off, secure: corp }, Ethernet: { web: off, secure: off } } });
  return sb;
}

async function cli(sb: DarwinSandbox, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { HALTON_METER_SUPERVISOR: "launchd", FAKE_LAUNCHD_PATH: `${FAKES_BIN}:/usr/bin:/bin` };
  const p = sb.spawn([BUN, join(repoRoot, "cmd", "halton-meter.ts"), ...args], { env });
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout as ReadableStream).text(), new Response(p.stderr as ReadableStream).text()]);
  return { code, out, err };
}

const agent = (sb: DarwinSandbox, label: string) => join(sb.home, "Library", "LaunchAgents", `${label}.plist`);
const network = (sb: DarwinSandbox) => sb.readState<{ proxies: Record<string, { web: Proxy; secure: Proxy }> }>("network.json").proxies;
/** The fake login keychain: certificates by SHA-1, with or without a trust setting. */
const keychain = (sb: DarwinSandbox) => (existsSync(join(sb.state, "keychain.json")) ? sb.readState<Array<{ sha1: string; trusted: boolean }>>("keychain.json") : []);
const securityChanges = (sb: DarwinSandbox, all = false) => (all ? sb.allCalls("security") : sb.calls("security")).map((c) => c.argv[0]).filter((verb) => verb !== "find-certificate");
const pids = (sb: DarwinSandbox) => {
  const jobs = sb.readState<Record<string, { pid: number | null }>>("jobs.json");
  return (label: string) => {
    const pid = jobs[label]?.pid ?? null;
    return pid !== null && isRunning(pid) ? pid : null;
  };
};

describe("full mode on launchd", () => {
  const sb = darwin();
  afterAll(() => sb.cleanup());
  const paths = statePaths(sb.meterHome);
  const ours = { enabled: true, server: "127.0.0.1", port: sb.ports.edge, authenticated: false };
  // Config and CA byte for byte; the store keeps every row it had (self-tests add canary rows).
  const keep = () => [paths.config, paths.caCert, paths.caKey].map((f) => readFileSync(f, "utf8"));
  const requestIds = () => queryStore<{ id: number }>(paths.db, "SELECT id FROM requests").map((r) => String(r.id));
  const keptData = () => {
    expect(keep()).toEqual(kept);
    const now = new Set(requestIds());
    expect(rows.length).toBeGreaterThan(0);
    for (const id of rows) expect(now.has(id)).toBe(true);
  };
  let kept: string[] = [];
  let rows: string[] = [];
  let caSha1 = "";
  const snapshotFile = join(sb.meterHome, "system-proxy-snapshot.json");
  const proxyOff = { web: { ...ours, enabled: false }, secure: { ...ours, enabled: false } };
  const proxyOn = () => JSON.stringify(network(sb)["Wi-Fi"]) === JSON.stringify({ web: ours, secure: ours });

  test("init installs four agents, starts them, self-tests and points the system proxy at the edge", async () => {
    const r = await cli(sb, "init", "--full", "--non-interactive");
    expect(r.code).toBe(0);
    for (const label of LABELS) expect(plistlib(agent(sb, label)).Label).toBe(label);
    const launchctl = sb.lines("launchctl");
    for (const label of LABELS) expect(launchctl).toContain(`bootstrap gui/${sb.uid} ${agent(sb, label)}`);
    expect(pids(sb)(EDGE)).not.toBeNull();
    expect(pids(sb)(DAEMON)).not.toBeNull();
    expect(pids(sb)(WATCHDOG)).not.toBeNull();
    expect(network(sb)["Wi-Fi"]).toEqual({ web: ours, secure: ours });
    expect(JSON.parse(readFileSync(join(sb.meterHome, "system-proxy-snapshot.json"), "utf8")).services["Wi-Fi"]).toEqual({ web: off, secure: corp });
    expect(existsSync(paths.proxyManaged)).toBe(true);
    expect(readFileSync(paths.installMode, "utf8").trim()).toBe("full");
    // The userenv agent ran at load and gave launchd's user domain the proxy env.
    await waitFor(() => existsSync(join(sb.state, "userenv.json")) && sb.readState<Record<string, string>>("userenv.json").NODE_EXTRA_CA_CERTS, "userenv to run");
    expect(sb.readState<Record<string, string>>("userenv.json").HTTPS_PROXY).toBe(`http://127.0.0.1:${sb.ports.edge}`);
    // Apps from the Dock trust only the login keychain: our CA is in it, as a trusted root, once.
    caSha1 = new X509Certificate(readFileSync(paths.caCert)).fingerprint.replace(/:/g, "");
    expect(keychain(sb)).toEqual([expect.objectContaining({ sha1: caSha1, trusted: true })]);
    expect(securityChanges(sb)).toEqual(["add-trusted-cert"]);
    kept = keep();
    rows = requestIds();
  }, 60_000);

  test("status --json shows launchd and the three running agents with their pids", async () => {
    const r = await cli(sb, "status", "--json");
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as { supervisor: { kind: string }; mode: string; services: Array<{ name: string; state: string; pid: number | null }> };
    expect(s.supervisor.kind).toBe("launchd");
    expect(s.mode).toBe("full");
    const byName = Object.fromEntries(s.services.map((x) => [x.name, x]));
    for (const [name, label] of [["daemon", DAEMON], ["watchdog", WATCHDOG], ["edge", EDGE]] as const) {
      expect(byName[name]).toMatchObject({ state: "running", pid: pids(sb)(label) });
    }
  }, 30_000);

  test("stop boots out the daemon and the watchdog only; the edge keeps its process and port", async () => {
    const before = pids(sb);
    sb.clearCalls();
    expect((await cli(sb, "stop")).code).toBe(0);
    const changes = sb.lines("launchctl").filter((l) => !l.startsWith("print"));
    expect(changes).toEqual([`bootout gui/${sb.uid}/${DAEMON}`, `bootout gui/${sb.uid}/${WATCHDOG}`]);
    expect(isRunning(before(DAEMON)!)).toBe(false);
    expect(isRunning(before(WATCHDOG)!)).toBe(false);
    expect(pids(sb)(EDGE)).toBe(before(EDGE));
    expect(await canConnect(sb.ports.edge)).toBe(true);
    // The daemon's SIGTERM path (launchd's at logout and reboot too) turned our system proxy off,
    // keeping the snapshot and the sentinel so that start turns it back on.
    expect(network(sb)["Wi-Fi"]).toEqual(proxyOff);
    expect(existsSync(snapshotFile)).toBe(true);
    expect(existsSync(paths.proxyManaged)).toBe(true);
  }, 30_000);

  test("start bootstraps and kickstarts the daemon and watchdog, leaves the edge alone, waits for /health", async () => {
    const edge = pids(sb)(EDGE);
    sb.clearCalls();
    const r = await cli(sb, "start", "--quiet");
    expect(r.code).toBe(0);
    expect(r.out).toContain("daemon healthy");
    const U = sb.uid;
    expect(sb.lines("launchctl").filter((l) => !l.startsWith("print"))).toEqual([
      `bootstrap gui/${U} ${agent(sb, DAEMON)}`,
      `kickstart gui/${U}/${DAEMON}`,
      `bootstrap gui/${U} ${agent(sb, WATCHDOG)}`,
      `kickstart gui/${U}/${WATCHDOG}`,
    ]);
    expect(pids(sb)(EDGE)).toBe(edge);
    await waitFor(proxyOn, "the started daemon to point the system proxy at the edge again");
  }, 60_000);

  test("a daemon killed with SIGKILL stays down (no KeepAlive); the watchdog turns the system proxy off", async () => {
    process.kill(pids(sb)(DAEMON)!, "SIGKILL");
    // The installed watchdog polls every 1.5 s and acts after five failures in a row.
    await waitFor(() => readFileSync(paths.proxyManaged, "utf8").includes("the watchdog turned the system proxy off"), "the watchdog to turn the proxy off", 25_000);
    expect(network(sb)["Wi-Fi"]).toEqual({ web: { ...ours, enabled: false }, secure: { ...ours, enabled: false } });
    expect(pids(sb)(DAEMON)).toBeNull();
    expect(await canConnect(sb.ports.edge)).toBe(true);
  }, 40_000);

  test("start after the watchdog's trip turns the system proxy back on; the snapshot is still the one from before full mode", async () => {
    expect(network(sb)["Wi-Fi"]).toEqual(proxyOff);
    const r = await cli(sb, "start", "--quiet");
    expect(r.code).toBe(0);
    await waitFor(proxyOn, "the started daemon to point the system proxy at the edge again");
    expect(JSON.parse(readFileSync(snapshotFile, "utf8")).services["Wi-Fi"]).toEqual({ web: off, secure: corp });
  }, 60_000);

  test("rescue boots out every agent, rebuilds, self-tests, and keeps the data, config and CA", async () => {
    const edgeBefore = pids(sb)(EDGE);
    sb.clearCalls();
    const r = await cli(sb, "rescue");
    expect(r.code).toBe(0);
    const lines = sb.lines("launchctl");
    const firstBootstrap = lines.findIndex((l) => l.startsWith("bootstrap"));
    const bootouts = lines.slice(0, firstBootstrap).filter((l) => l.startsWith("bootout"));
    expect(bootouts).toEqual(LABELS.map((l) => `bootout gui/${sb.uid}/${l}`));
    expect(isRunning(edgeBefore!)).toBe(false);
    expect(pids(sb)(EDGE)).not.toBeNull();
    expect(pids(sb)(DAEMON)).not.toBeNull();
    keptData();
    // Full mode again: the system proxy points at the edge.
    expect(network(sb)["Wi-Fi"]).toEqual({ web: ours, secure: ours });
    // Seed 000: rescue keeps the CA's keychain trust as it is; it does not even look.
    expect(sb.calls("security")).toEqual([]);
    expect(keychain(sb)).toEqual([expect.objectContaining({ sha1: caSha1, trusted: true })]);
  }, 60_000);

  test("reset-proxy turns off every proxy that points at us and nothing else", async () => {
    sb.clearCalls();
    expect((await cli(sb, "reset-proxy")).code).toBe(0);
    expect(network(sb)["Wi-Fi"]).toEqual({ web: { ...ours, enabled: false }, secure: { ...ours, enabled: false } });
    expect(sb.lines("networksetup").filter((l) => l.startsWith("-set")).every((l) => l.endsWith(" off"))).toBe(true);
  }, 30_000);

  test("uninstall --graceful: the edge keeps serving from a deleted plist, the system proxy is restored", async () => {
    sb.clearCalls();
    expect((await cli(sb, "init", "--full", "--non-interactive")).code).toBe(0);
    // Trusted already: init looks, and adds nothing.
    expect(sb.lines("security").length).toBeGreaterThan(0);
    expect(securityChanges(sb)).toEqual([]);
    const edge = pids(sb)(EDGE);
    expect((await cli(sb, "uninstall", "--graceful", "--yes")).code).toBe(0);
    for (const label of LABELS) expect(existsSync(agent(sb, label))).toBe(false);
    expect(pids(sb)(EDGE)).toBe(edge);
    expect(pids(sb)(DAEMON)).toBeNull();
    expect(await canConnect(sb.ports.edge)).toBe(true);
    expect(network(sb)["Wi-Fi"]!.secure).toEqual(corp);
    expect(network(sb)["Wi-Fi"]!.web.enabled).toBe(false);
    expect(existsSync(join(sb.meterHome, "system-proxy-snapshot.json"))).toBe(false);
  }, 60_000);

  test("uninstall --purge stops the edge too and keeps the data; --include-logs deletes the folder", async () => {
    const edge = pids(sb)(EDGE);
    expect((await cli(sb, "uninstall", "--purge", "--yes")).code).toBe(0);
    expect(isRunning(edge!)).toBe(false);
    keptData();
    expect(keychain(sb)).toEqual([expect.objectContaining({ sha1: caSha1, trusted: true })]);
    sb.clearCalls();
    expect((await cli(sb, "uninstall", "--purge", "--include-logs", "--yes")).code).toBe(0);
    expect(existsSync(sb.meterHome)).toBe(false);
    // The CA is gone, and so is its trust: the trust setting first, then the certificate.
    expect(securityChanges(sb)).toEqual(["remove-trusted-cert", "delete-certificate"]);
    expect(keychain(sb)).toEqual([]);
    expect(securityChanges(sb, true).filter((v) => v === "add-trusted-cert")).toEqual(["add-trusted-cert"]);
    expect(sb.allCalls("launchctl").some((c) => c.argv[0] === "load" || c.argv[0] === "unload")).toBe(false);
  }, 60_000);
});

test("reset-proxy with nothing installed touches nothing and succeeds", async () => {
  const sb = darwin();
  try {
    const r = await cli(sb, "reset-proxy");
    expect(r.code).toBe(0);
    expect(sb.lines("networksetup").filter((l) => l.startsWith("-set"))).toEqual([]);
    expect(sb.calls("launchctl").filter((c) => c.argv[0] !== "print")).toEqual([]);
    expect(network(sb)["Wi-Fi"]!.secure).toEqual(corp);
  } finally {
    await sb.cleanup();
  }
}, 30_000);

test("reset-proxy still removes the rc block when networksetup refuses, and exits 1 saying what is left", async () => {
  const sb = darwin();
  try {
    const ourProxy = { enabled: true, server: "127.0.0.1", port: DEFAULT_PORTS.edge, authenticated: false };
    sb.setState("network.json", { services: [{ name: "Wi-Fi" }], proxies: { "Wi-Fi": { web: off, secure: ourProxy } } });
    sb.setState("networksetup-set-fails", "");
    const zshrc = join(sb.home, ".zshrc");
    writeFileSync(zshrc, `alias ll='ls -l'\n${renderRcBlock(rcEnv(DEFAULT_PORTS.edge, {}))}`);
    const r = await cli(sb, "reset-proxy");
    expect(r.code).toBe(1);
    expect(r.out).toContain("NOT reset");
    expect(r.out).toContain("administrator");
    expect(readFileSync(zshrc, "utf8")).toBe("alias ll='ls -l'\n");
    expect(readFileSync(zshrc, "utf8")).not.toContain(RC_BEGIN);
    expect(network(sb)["Wi-Fi"]!.secure).toEqual(ourProxy);
  } finally {
    await sb.cleanup();
  }
}, 30_000);

test("init --no-apps on launchd leaves the login keychain alone: only shells use the meter", async () => {
  const sb = darwin();
  try {
    const r = await cli(sb, "init", "--no-apps", "--non-interactive");
    expect(r.code).toBe(0);
    expect(sb.allCalls("security")).toEqual([]);
    expect(keychain(sb)).toEqual([]);
  } finally {
    await sb.cleanup();
  }
}, 60_000);
