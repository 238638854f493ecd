import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MeterEnv, startMeter } from "../harness/meter.ts";
import { repoRoot, type Sandbox, waitFor } from "../harness/sandbox.ts";

// Upgrading a running meter with install.sh: the binaries are renamed into place, the daemon is
// restarted, and the edge (the port users' tools talk to) keeps running unless its own binary
// changed. Meanwhile a client keeps sending Anthropic requests through the edge, each on a fresh
// connection: not one of them may fail. Real processes on the fallback supervisor.

setDefaultTimeout(120_000);

const target = `linux-${process.arch === "arm64" ? "arm64" : "x64"}`;
let root: string;
/** The home, config and fake provider; install.sh starts the services. */
let meter: MeterEnv;
let sb: Sandbox;
let server: ReturnType<typeof Bun.serve>;
const releases: Record<string, string> = {};

/** A release folder built by `make release` for this machine, stamped with the given commits. */
function release(name: string, vars: string[]): string {
  const dir = join(root, name);
  const p = Bun.spawnSync(["make", "--no-print-directory", "release", `RELEASE_TARGETS=${target}`, `RELEASE_DIR=${dir}`, ...vars], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`make release failed: ${p.stderr.toString()}`);
  return dir;
}

const bindir = () => join(sb.home, ".local", "bin");
const env = () => ({ ...sb.env, PATH: `${bindir()}:/usr/local/bin:/usr/bin:/bin`, HALTON_METER_SUPERVISOR: "fallback" });

async function exec(argv: string[], extra: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(argv, { env: { ...env(), ...extra }, stdin: "ignore", stdout: "pipe", stderr: "pipe", cwd: sb.root });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

interface Status {
  services: Array<{ name: string; state: string; pid: number | null }>;
  health: { ok: boolean; version?: string; pid?: number };
  outdated: Array<{ name: string; why: string }>;
}
async function status(): Promise<Status> {
  const r = await exec([join(bindir(), "halton-meter"), "status", "--json"]);
  return JSON.parse(r.out) as Status;
}
const pidOf = (s: Status, name: string) => s.services.find((x) => x.name === name)?.pid ?? null;

/** Fresh-connection Anthropic requests through the edge until stopped; every failure is kept. */
function requestLoop(edgePort: number, ca: string[]) {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (running) {
      try {
        const r = await fetch("https://api.anthropic.com/v1/messages", {
          method: "POST",
          proxy: `http://127.0.0.1:${edgePort}`,
          keepalive: false,
          tls: { ca },
          headers: { "content-type": "application/json", "x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01" },
          body: '{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}',
        } as RequestInit);
        const body = await r.text();
        if (r.status !== 200 || !body.includes('"usage"')) failures.push(`${r.status}: ${body.slice(0, 120)}`);
        else ok++;
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  })();
  return {
    /** Requests answered or failed so far. */
    done: () => ok + failures.length,
    async stop() {
      running = false;
      await loop;
      return { ok, failures };
    },
  };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "hm-upgrade-"));
  meter = await startMeter({ prefix: "hm-upgrade-home-", hosts: ["api.anthropic.com"], daemon: false, edge: false });
  sb = meter.sb;
  // Two daemon versions with the same edge, and a third whose edge changed too.
  releases.v1 = release("v1", ["COMMIT=aaaaaaaaaaaa"]);
  releases.v2 = release("v2", ["COMMIT=bbbbbbbbbbbb"]);
  releases.v3 = release("v3", ["COMMIT=cccccccccccc", "EDGE_COMMIT=cccccccccccc"]);
  // The first install comes over HTTP, as `curl -fsSL URL/install.sh | sh` does.
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => new Response(Bun.file(join(releases.v1!, new URL(req.url).pathname.replace(/^\/+/, "")))) });
});

afterAll(async () => {
  // Every process the installs started, by the pids their pid files recorded, while they are ours.
  const run = join(sb.meterHome, "run");
  if (existsSync(run)) {
    for (const f of readdirSync(run).filter((n) => n.endsWith(".pid"))) {
      const { pid } = JSON.parse(readFileSync(join(run, f), "utf8")) as { pid: number };
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith(bindir())) process.kill(pid, "SIGKILL");
      } catch {}
    }
  }
  server?.stop(true);
  await meter?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("upgrading a running meter", () => {
  test("curl | sh -s -- --init installs v1 from a release over HTTP and starts the meter on the fallback supervisor", async () => {
    const url = `http://127.0.0.1:${server.port}`;
    const r = await exec(["/bin/sh", "-c", `curl -fsSL ${url}/install.sh | sh -s -- --init`], { HALTON_METER_BASE_URL: url });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect((await exec([join(bindir(), "halton-meter"), "--version"])).out).toContain("commit aaaaaaaaaaaa");
    const s = await status();
    expect(s.health.ok).toBe(true);
    expect(s.outdated).toEqual([]);
  });

  test("a binary replaced without a restart shows in status as outdated", async () => {
    const tmp = join(bindir(), ".halton-meter.test");
    copyFileSync(join(releases.v2!, `halton-meter-${target}`), tmp);
    renameSync(tmp, join(bindir(), "halton-meter"));
    const s = await status();
    expect(s.outdated.map((o) => o.name)).toEqual(["daemon"]);
    const human = await exec([join(bindir(), "halton-meter"), "status"]);
    expect(human.err).toContain("the running daemon is older than the installed binary");
    expect(human.out).toContain("halton-meter upgrade");
  });

  test("install.sh of v2 over it restarts the daemon, keeps the edge, and no request fails", async () => {
    const before = await status();
    const edgePid = pidOf(before, "edge");
    const daemonPid = pidOf(before, "daemon");
    const loop = requestLoop(sb.ports.edge, [meter.ourCaPem, meter.certs.caPem]);
    await waitFor(() => loop.done() >= 3, "requests through the edge before the upgrade");
    const r = await exec(["/bin/sh", join(releases.v2!, "install.sh")]);
    const atInstallEnd = loop.done();
    await waitFor(() => loop.done() >= atInstallEnd + 3, "requests through the edge after the upgrade");
    const { ok, failures } = await loop.stop();
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("kept running");
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(5);
    const after = await status();
    expect(pidOf(after, "edge")).toBe(edgePid);
    expect(pidOf(after, "daemon")).not.toBe(daemonPid);
    expect(after.health.ok).toBe(true);
    expect(after.outdated).toEqual([]);
    expect((await exec([join(bindir(), "halton-meter"), "--version"])).out).toContain("commit bbbbbbbbbbbb");
  });

  test("v3 changed the edge too: the edge is restarted onto it, and the meter serves afterwards", async () => {
    const before = await status();
    const r = await exec(["/bin/sh", join(releases.v3!, "install.sh")]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/edge\s+restarted on its new binary; port \d+ answered again after \d+ ms/);
    const after = await status();
    expect(pidOf(after, "edge")).not.toBe(pidOf(before, "edge"));
    expect(after.outdated).toEqual([]);
    const loop = requestLoop(sb.ports.edge, [meter.ourCaPem, meter.certs.caPem]);
    await waitFor(() => loop.done() >= 3, "requests through the edge on the new binaries");
    const { ok, failures } = await loop.stop();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(0);
  });
});
