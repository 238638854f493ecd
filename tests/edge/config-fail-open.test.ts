import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeEffectivePorts } from "../../core/ports/index.ts";
import { echoesThrough } from "../harness/client.ts";
import { startEdgeProcess } from "../harness/edge-process.ts";
import { type EchoServer, echoServer } from "../harness/raw.ts";
import { freePort, makeSandbox, type Sandbox } from "../harness/sandbox.ts";
import { EDGE_BIN, meter } from "./_dist.ts";

// Issue 13, point 4: the compiled edge starts and tunnels whatever config.toml says. A broken
// file is logged once (file, key, line), `status` and `doctor` name its line and key, and the
// daemon still refuses it.

// Real processes on a loaded 2-core machine: the default 5 s is tight.
setDefaultTimeout(30_000);

const GARBAGE = "\x00\x01 this is not toml }}}\n[[[\n";
const OUT_OF_RANGE = "[daemon]\nedge_health_ttl_ms = 10\n";

let echo: EchoServer;
let sb: Sandbox | undefined;
beforeAll(() => {
  echo = echoServer();
});
afterAll(() => echo.stop());
afterEach(async () => {
  await sb?.cleanup();
  sb = undefined;
});

/** A sandbox with the given config.toml and the ports recorded as the daemon left them. */
function sandbox(config: string): Sandbox {
  sb = makeSandbox("hm-edge-badconf-");
  sb.writeConfig(config);
  writeEffectivePorts(join(sb.meterHome, "effective-ports.json"), sb.ports);
  return sb;
}


describe("the compiled edge with a broken config.toml", () => {
  test("garbage: it starts on the recorded port, tunnels, logs the error once, and a rewritten file does not move it", async () => {
    const s = sandbox(GARBAGE);
    const edge = await startEdgeProcess(s, [EDGE_BIN]);
    expect(edge.port).toBe(s.ports.edge);
    await echoesThrough(edge.port, `127.0.0.1:${echo.port}`, "through-a-broken-config");
    expect(edge.events("edge.config.invalid")).toEqual([
      expect.objectContaining({ level: "error", file: join(s.meterHome, "config.toml"), key: null, line: 1, message: expect.stringMatching(/^is not valid TOML at line 1, column \d+/) }),
    ]);

    // The file rewritten with other ports: the daemon's are followed, the edge's port is kept
    // (a broken config never moves it), and the same error is not logged again.
    const next = { edge: freePort(), internal: freePort(), api: freePort() };
    writeEffectivePorts(join(s.meterHome, "effective-ports.json"), next);
    const reloaded = await edge.waitEvent("edge.ports.reloaded");
    expect(reloaded).toMatchObject({ trigger: "file", edge: s.ports.edge, internal: next.internal, api: next.api, listening: s.ports.edge });
    await echoesThrough(edge.port, `127.0.0.1:${echo.port}`, "still-on-its-port");
    expect(edge.events("edge.config.invalid")).toHaveLength(1);
  });

  test("a value out of range (edge_health_ttl_ms = 10): it starts, tunnels, and the log names the key and its line", async () => {
    const s = sandbox(`# tuned by hand\n${OUT_OF_RANGE}`);
    const edge = await startEdgeProcess(s, [EDGE_BIN]);
    expect(edge.port).toBe(s.ports.edge);
    await echoesThrough(edge.port, `127.0.0.1:${echo.port}`, "ttl-out-of-range");
    expect(edge.events("edge.config.invalid")).toEqual([
      expect.objectContaining({ key: "daemon.edge_health_ttl_ms", line: 3, message: "expected at least 50 ms, got 10", using: expect.stringContaining("defaults") }),
    ]);
  });

  test("no effective-ports.json either: it starts on the port it last held, and records no guess", async () => {
    const s = sandbox(OUT_OF_RANGE);
    const file = join(s.meterHome, "effective-ports.json");
    writeFileSync(file, "{ torn");
    // The edge that ran before recorded its port (run/edge-port.json); its pid is long gone.
    mkdirSync(join(s.meterHome, "run"));
    writeFileSync(join(s.meterHome, "run", "edge-port.json"), JSON.stringify({ pid: 2 ** 22 + 4321, port: s.ports.edge }));
    const edge = await startEdgeProcess(s, [EDGE_BIN]);
    expect(edge.port).toBe(s.ports.edge);
    await echoesThrough(edge.port, `127.0.0.1:${echo.port}`, "from-its-own-record");
    // A start records its choice before it is ready: none was.
    expect(readFileSync(file, "utf8")).toBe("{ torn");
  });
});

describe("the rest of the meter with a broken config.toml", () => {
  test("`status` runs and names the key and its line (text and --json)", async () => {
    const s = sandbox(`\n${OUT_OF_RANGE}`);
    const json = await meter(s, ["status", "--json"]);
    const status = JSON.parse(json.stdout) as { config: { ok: boolean; error: { key: string; line: number }; said: string } };
    expect(status.config).toMatchObject({ ok: false, error: { key: "daemon.edge_health_ttl_ms", line: 3 } });
    expect(status.config.said).toContain("daemon.edge_health_ttl_ms: expected at least 50 ms, got 10 (line 3)");
    // The panel wraps long values: read it as one line of words.
    const text = (await meter(s, ["status"])).stdout.replace(/[│╭╮╰╯─]/g, " ").replace(/\s+/g, " ");
    expect(text).toMatch(/ config BROKEN: \S*config\.toml: daemon\.edge_health_ttl_ms: expected at least 50 ms, got 10 \(line 3\)/);
  });

  test("`doctor` fails the config check naming the key and its line, or the TOML's line and column", async () => {
    for (const [config, detail] of [
      [OUT_OF_RANGE, /config\.toml: daemon\.edge_health_ttl_ms: expected at least 50 ms, got 10 \(line 2\)$/],
      [GARBAGE, /config\.toml: is not valid TOML at line 1, column \d+/],
    ] as const) {
      const s = sandbox(config);
      const r = await meter(s, ["doctor", "--json"]);
      const checks = (JSON.parse(r.stdout) as { checks: Array<{ name: string; status: string; detail: string; hint: string }> }).checks;
      expect(checks.find((c) => c.name === "config")).toMatchObject({ status: "fail", detail: expect.stringMatching(detail), hint: expect.stringContaining("the edge tunnels on its defaults") });
      await s.cleanup();
      sb = undefined;
    }
  });

  test("the daemon still refuses it: exit 1, the file, key and line, and what to do", async () => {
    const s = sandbox(OUT_OF_RANGE);
    const r = await meter(s, ["daemon"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(s.meterHome, "config.toml")}: daemon.edge_health_ttl_ms: expected at least 50 ms, got 10 (line 2)`);
    expect(r.stderr).toMatch(/hint: fix .*config\.toml/);
    expect(existsSync(join(s.meterHome, "daemon.log"))).toBe(false);
  });
});
