import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { TCPSocketListener } from "bun";
import { writeEffectivePorts } from "../../core/ports/index.ts";
import { connectThrough } from "../harness/client.ts";
import { DIST, startEdgeProcess } from "../harness/edge-process.ts";
import { type EchoServer, echoServer } from "../harness/raw.ts";
import { BUN, makeSandbox, portsToml, repoRoot, type Sandbox, waitFor } from "../harness/sandbox.ts";

// A smoke test of the COMPILED executables in dist/. `make test` builds them first; when they
// are missing (a bare `bun test`) they are built here with the Makefile's COMPILE flags.

// These tests start real processes: bunfig.toml's [test] timeout is not applied by Bun 1.4.4,
// so the default 5 s would be tight on a loaded 2-core machine.
setDefaultTimeout(30_000);

const CLI = join(DIST, "halton-meter");
const EDGE = join(DIST, "halton-meter-edge");
const pkg = (await Bun.file(join(repoRoot, "package.json")).json()) as { version: string };

async function compile(entries: string[], outfile: string): Promise<void> {
  const commit = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: repoRoot }).stdout.toString().trim() || "unknown";
  const date = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  // Built beside the target and renamed over it: a concurrent run never sees half a binary.
  const tmp = `${outfile}.${process.pid}.tmp`;
  const p = Bun.spawnSync(
    [BUN, "build", "--compile", "--minify", "--bytecode", "--format=esm", "--define", `HALTON_BUILD_COMMIT="${commit}"`, "--define", `HALTON_BUILD_DATE="${date}"`, "--outfile", tmp, ...entries],
    { cwd: repoRoot, stdout: "pipe", stderr: "pipe" },
  );
  if (p.exitCode !== 0) throw new Error(`bun build ${entries.join(" ")} failed: ${p.stderr.toString()}`);
  renameSync(tmp, outfile);
}

let echo: EchoServer;
let sb: Sandbox | undefined;
beforeAll(async () => {
  mkdirSync(DIST, { recursive: true });
  // The same entrypoints as the Makefile's DAEMON_ENTRIES: the API's query worker is embedded.
  if (!existsSync(CLI)) await compile(["cmd/halton-meter.ts", "core/api/query-worker.ts", "core/attribution/lookup-worker.ts"], CLI);
  if (!existsSync(EDGE)) await compile(["cmd/edge.ts"], EDGE);
  echo = echoServer();
}, 120_000);
afterAll(() => echo?.stop());
afterEach(async () => {
  await sb?.cleanup();
  sb = undefined;
});
const sandbox = () => (sb = makeSandbox("hm-bin-"));

async function run(argv: string[]) {
  const p = (sb ?? sandbox()).spawn(argv);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout as ReadableStream).text(), new Response(p.stderr as ReadableStream).text(), p.exited]);
  return { stdout, stderr, code };
}

describe("--version", () => {
  for (const [name, bin] of [
    ["halton-meter", CLI],
    ["halton-meter-edge", EDGE],
  ] as const) {
    test(`${name} --version names the version, and the commit and date the build stamped in`, async () => {
      const r = await run([bin, "--version"]);
      expect(r.code).toBe(0);
      const m = new RegExp(`^${name} (\\S+) \\(commit (\\S+), built (\\S+)\\)\\n$`).exec(r.stdout);
      expect(m).not.toBeNull();
      expect(m![1]).toBe(pkg.version);
      // "dev" / "unreleased" are what a source run says: a compiled binary carries real values.
      expect(m![2]).not.toBe("dev");
      expect(m![3]).not.toBe("unreleased");
    });
  }
});

describe("halton-meter-edge", () => {
  test("starts with pinned ports, logs edge.startup.ready and tunnels a CONNECT", async () => {
    const s = sandbox();
    s.writeConfig(portsToml(s.ports));
    const edge = await startEdgeProcess(s, [EDGE]);
    expect(edge.port).toBe(s.ports.edge);
    expect(edge.events("edge.startup.ready")[0]).toMatchObject({ level: "info", pid: edge.pid, daemon_port: s.ports.internal, api_port: s.ports.api, version: pkg.version });
    const c = await connectThrough(edge.port, `127.0.0.1:${echo.port}`);
    c.write("through-the-binary");
    await c.untilText("through-the-binary");
    c.close();
    process.kill(edge.pid, "SIGTERM");
    expect(await edge.proc.exited).toBe(0);
  });

  // The edge tunnels whatever the config says (tests/edge/config-fail-open.test.ts): it says why
  // in one line and runs on the recorded ports.
  async function startsDespite(config: string): Promise<string[]> {
    const s = sandbox();
    s.writeConfig(config);
    writeEffectivePorts(join(s.meterHome, "effective-ports.json"), s.ports);
    const edge = await startEdgeProcess(s, [EDGE]);
    expect(edge.port).toBe(s.ports.edge);
    process.kill(edge.pid, "SIGTERM");
    const out = await edge.output();
    expect(out.code).toBe(0);
    return out.stderr.trimEnd().split("\n");
  }

  test("an invalid config.toml: it starts anyway, with one clear line naming the file, key and line", async () => {
    const lines = await startsDespite('[daemon]\nedge_port = "not-a-port"\n');
    expect(lines).toEqual([`halton-meter-edge: ${join(sb!.meterHome, "config.toml")}: daemon.edge_port: expected a port number, got "not-a-port" (line 2): tunnelling on the defaults meanwhile`]);
  });

  test("broken TOML: it starts anyway, and the line says the line and column", async () => {
    const lines = await startsDespite("[edge\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/config\.toml: is not valid TOML at line 1, column \d+/);
  });

  test("its pinned port taken by another listener: exit 1 saying so", async () => {
    const s = sandbox();
    const blocker: TCPSocketListener<unknown> = Bun.listen({ hostname: "127.0.0.1", port: s.ports.edge, socket: { data() {} } });
    try {
      s.writeConfig(portsToml(s.ports));
      const r = await run([EDGE]);
      expect(r.code).toBe(1);
      expect(r.stderr.trimEnd()).toBe(`halton-meter-edge: daemon.edge_port = ${s.ports.edge} is pinned in config.toml but is in use by another process; free it or pin another port`);
    } finally {
      blocker.stop(true);
    }
  });

  test("the recorded port taken by another listener (bind fails): exit 1 saying the port is taken", async () => {
    const s = sandbox();
    writeEffectivePorts(join(s.meterHome, "effective-ports.json"), s.ports);
    const blocker: TCPSocketListener<unknown> = Bun.listen({ hostname: "127.0.0.1", port: s.ports.edge, socket: { data() {} } });
    try {
      const r = await run([EDGE]);
      expect(r.code).toBe(1);
      expect(r.stderr.trimEnd()).toBe(`halton-meter-edge: port ${s.ports.edge} on 127.0.0.1 is taken by another process`);
    } finally {
      blocker.stop(true);
    }
  });

  test("an unknown argument: exit 2", async () => {
    const r = await run([EDGE, "--frob"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown argument --frob");
  });
});

describe("halton-meter", () => {
  test("the daemon answers /v1 from the query worker embedded in the binary", async () => {
    const s = sandbox();
    s.writeConfig(portsToml(s.ports));
    const daemon = s.spawn([CLI, "daemon"], { stdout: "ignore", stderr: "ignore" });
    const api = `http://127.0.0.1:${s.ports.api}`;
    await waitFor(() => fetch(`${api}/health`).then((r) => r.ok, () => false), "the daemon's /health");
    const stats = await fetch(`${api}/v1/stats?since=7d`);
    expect(stats.status).toBe(200);
    expect(((await stats.json()) as { summary: { requests: number } }).summary.requests).toBe(0);
    // A store error crosses back from the worker and is still the API's 400.
    const bad = await fetch(`${api}/v1/requests?cursor=nope`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toStartWith("cursor: ");
    process.kill(daemon.pid, "SIGTERM");
    expect(await daemon.exited).toBe(0);
  });

  test("config --json from the binary", async () => {
    const s = sandbox();
    s.writeConfig("[log]\nkeep = 5\n");
    const r = await run([CLI, "config", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).config.log.keep).toBe(5);
  });
});
