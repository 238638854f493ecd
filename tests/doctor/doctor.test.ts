// `halton-meter doctor` on a real install (compiled binaries, `init` under the no-systemd
// fallback, a throwaway HOME): healthy, then made inconsistent (rc block gone, bundle without its
// marker) and broken (daemon killed, its API port taken by another process), each repaired.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TCPSocketListener } from "bun";
import { rcBlockExports } from "../../core/doctor/checks/shell.ts";
import { startTimeOf } from "../../platform/linux/proc.ts";
import { waitFor } from "../harness/sandbox.ts";
import { type LifecycleEnv, startLifecycleEnv } from "../lifecycle/_env.ts";

interface Finding {
  name: string;
  status: "ok" | "warn" | "fail" | "skip";
  detail: string;
  hint: string | null;
  repair?: { id: string; does: string };
}
interface DoctorJson {
  verdict: string;
  exitCode: number;
  checks: Finding[];
  repairs?: Array<{ id: string }>;
  applied?: Array<{ id: string; ok: boolean; said: string }>;
}

let le: LifecycleEnv;
let shellEnv: Record<string, string> = {};
const bashrc = () => join(le.sb.home, ".bashrc");
const bundle = () => join(le.sb.meterHome, "trust-bundle.pem");

beforeAll(async () => {
  le = await startLifecycleEnv("hm-doctor-", { HALTON_METER_SUPERVISOR: "fallback", SHELL: "/bin/bash" });
  const init = await le.cli(["init", "--non-interactive"]);
  if (init.code !== 0) throw new Error(`init failed: ${init.stdout}\n${init.stderr}`);
  // What a new shell would have: the exports of the block init wrote.
  shellEnv = rcBlockExports(readFileSync(bashrc(), "utf8"))!;
}, 180_000);
afterAll(async () => {
  await le?.cleanup();
});

async function doctor(args: string[] = [], env: Record<string, string> = shellEnv): Promise<{ code: number; json: DoctorJson; stderr: string }> {
  const r = await le.cli(["doctor", "--json", ...args], env);
  return { code: r.code, json: JSON.parse(r.stdout) as DoctorJson, stderr: r.stderr };
}
const check = (j: DoctorJson, name: string) => j.checks.find((c) => c.name === name)!;
const problems = (j: DoctorJson) => j.checks.filter((c) => c.status === "warn" || c.status === "fail").map((c) => `${c.name}: ${c.detail}`);

describe("doctor", () => {
  test("a fresh install is HEALTHY, exit 0, every signal checked", async () => {
    const { code, json } = await doctor();
    expect(problems(json)).toEqual([]);
    expect(json.verdict).toBe("HEALTHY");
    expect(code).toBe(0);
    expect(json.checks.map((c) => c.name)).toEqual([
      "config", "install", "ca", "ca-permissions", "trust-bundle", "shell-env", "rc-block", "effective-ports",
      "port:edge", "port:internal", "port:api", "supervisor", "daemon", "edge", "tls-bypass", "store", "store-wal", "capture", "price-data", "unpriced",
    ]);
    for (const name of ["port:edge", "port:internal", "port:api"]) expect(check(json, name).detail).toMatch(/held by the (edge|daemon) \(pid \d+\)/);
    expect(check(json, "daemon").detail).toMatch(/^\/health ok: version .*, pid \d+/);
  }, 60_000);

  test("the text report: verdict line, one row per check", async () => {
    const r = await le.cli(["doctor"], { ...shellEnv, COLUMNS: "100" });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("Halton Meter doctor: HEALTHY");
    expect(lines.filter((l) => /^(ok|WARN|FAIL|-)\s+\S/.test(l))).toHaveLength(20);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
  }, 60_000);

  test("a shell without the env, no rc block and a bundle without its marker: INCONSISTENT, exit 1, then repaired", async () => {
    const rc = readFileSync(bashrc(), "utf8");
    writeFileSync(bashrc(), "alias ll='ls -l'\n");
    writeFileSync(bundle(), readFileSync(bundle(), "utf8").replace("# halton-meter CA cert appended\n", ""));
    const broken = await doctor([], {});
    expect(broken.json.verdict).toBe("INCONSISTENT");
    expect(broken.code).toBe(1);
    expect(check(broken.json, "rc-block")).toMatchObject({ status: "warn", repair: { id: "rewrite-rc-block" } });
    expect(check(broken.json, "trust-bundle")).toMatchObject({ status: "warn", detail: expect.stringContaining("marker"), repair: { id: "rewrite-trust-bundle" } });
    expect(check(broken.json, "shell-env")).toMatchObject({ status: "warn", hint: expect.stringContaining("new terminal") });

    const plan = await doctor(["--fix"]);
    expect(plan.json.repairs!.map((r) => r.id)).toEqual(["rewrite-trust-bundle", "rewrite-rc-block"]);
    expect(readFileSync(bashrc(), "utf8")).toBe("alias ll='ls -l'\n"); // --fix alone changes nothing

    const fixed = await doctor(["--fix", "--apply"]);
    expect(fixed.json.applied!.map((a) => [a.id, a.ok])).toEqual([["rewrite-trust-bundle", true], ["rewrite-rc-block", true]]);
    expect(problems(fixed.json)).toEqual([]);
    expect(fixed.code).toBe(0);
    expect(readFileSync(bashrc(), "utf8")).toStartWith("alias ll='ls -l'\n");
    expect(rcBlockExports(readFileSync(bashrc(), "utf8"))).toEqual(rcBlockExports(rc));
  }, 60_000);

  test("daemon killed, then its API port taken by another process: BROKEN, exit 2; --fix --apply restarts it", async () => {
    const s = await le.status();
    const daemonPid = le.service(s, "daemon").pid!;
    process.kill(daemonPid, "SIGKILL");
    await waitFor(() => startTimeOf(daemonPid) === null, "the daemon to die");

    const down = await doctor();
    expect(down.json.verdict).toBe("BROKEN");
    expect(down.code).toBe(2);
    expect(check(down.json, "daemon")).toMatchObject({ status: "fail", repair: { id: "start-daemon" }, hint: expect.stringContaining("halton-meter start") });
    expect(check(down.json, "edge").status).toBe("ok");

    let squatter: TCPSocketListener<undefined> | null = Bun.listen({ hostname: "127.0.0.1", port: le.sb.ports.api, socket: { data() {} } });
    try {
      const taken = await doctor();
      expect(taken.code).toBe(2);
      expect(check(taken.json, "port:api")).toMatchObject({ status: "fail", detail: expect.stringContaining(`held by pid ${process.pid}`), hint: expect.stringContaining("api_port") });
    } finally {
      squatter.stop(true);
      squatter = null;
    }

    const fixed = await doctor(["--fix", "--apply"]);
    expect(fixed.json.applied).toEqual([{ id: "start-daemon", ok: true, said: "started the daemon (fallback)" }]);
    expect(problems(fixed.json)).toEqual([]);
    expect(fixed.code).toBe(0);
    await le.status();
  }, 90_000);

  test("--apply needs --fix", async () => {
    const r = await le.cli(["doctor", "--apply"], shellEnv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--apply goes with --fix");
  });
});
