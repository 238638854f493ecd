import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readEffectivePorts, writeEffectivePorts } from "../../core/ports/index.ts";
import { rcEnv, renderRcBlock } from "../../core/service/rc-block.ts";
import { envBlock } from "../../core/tls/index.ts";
import { echoesThrough } from "../harness/client.ts";
import { type EdgeProcess, type LogLine, startEdgeProcess } from "../harness/edge-process.ts";
import { type MeterEnv, startMeter } from "../harness/meter.ts";
import { type EchoServer, echoServer } from "../harness/raw.ts";
import { canConnect, freePort, type Sandbox, waitFor } from "../harness/sandbox.ts";
import { EDGE_BIN, METER_BIN } from "./_dist.ts";

// Issue 13, point 5, with the compiled edge and daemon: a running edge keeps the port shells
// point at through a corrupt, deleted or rewritten effective-ports.json and a daemon restart,
// and the daemon records that port. Only a pinned edge_port that changes moves it, and then the
// rc block follows. The edge port is unpinned (the normal install) and random, never 8081; the
// daemon's ports are pinned so that its re-choice can only be about the edge.

// Real processes on a loaded 2-core machine: the default 5 s is tight.
setDefaultTimeout(60_000);

let echo: EchoServer;
let w: World | undefined;
beforeAll(() => {
  echo = echoServer();
});
afterAll(() => echo.stop());
afterEach(async () => {
  await w?.env.stop();
  w = undefined;
});

interface World {
  s: Sandbox;
  file: string;
  /** The edge's port: what the rc block and every tool point at. */
  port: number;
  edge: EdgeProcess;
  /** The meter around them: the daemon is started and restarted through it. */
  env: MeterEnv;
}

const daemonConfig = (s: Sandbox, extra = "") => `[daemon]\n${extra}internal_port = ${s.ports.internal}\napi_port = ${s.ports.api}\n`;

const restartDaemon = (world: World) => world.env.restartDaemon();

/** An installed meter as init leaves it: ports recorded, the edge and the daemon running. */
async function world(): Promise<World> {
  // Its own config (the edge port unpinned), so nothing of the meter starts by itself.
  const env = await startMeter({ prefix: "hm-port-stability-", fake: false, daemon: false, edge: false });
  const s = env.sb;
  try {
    s.writeConfig(daemonConfig(s));
    const file = join(s.meterHome, "effective-ports.json");
    writeEffectivePorts(file, s.ports);
    w = { s, file, port: s.ports.edge, edge: await startEdgeProcess(s, [EDGE_BIN]), env };
    await env.startDaemon({ argv: [METER_BIN, "daemon"] });
    return w;
  } catch (err) {
    await env.stop();
    w = undefined;
    throw err;
  }
}

/** The edge answers each change of effective-ports.json with one of these. */
const portEvents = (edge: EdgeProcess): LogLine[] => edge.events().filter((l) => l.event === "edge.ports.kept" || l.event === "edge.ports.reloaded");
const nthPortEvent = (edge: EdgeProcess, n: number): Promise<LogLine> => waitFor(() => portEvents(edge)[n], `the edge's answer #${n + 1} to effective-ports.json`);

/** What the edge says it holds (run/edge-port.json), read as the daemon reads it. */
const edgeRecord = (s: Sandbox): unknown => JSON.parse(readFileSync(join(s.meterHome, "run", "edge-port.json"), "utf8"));

const recorded = (file: string) => {
  const r = readEffectivePorts(file);
  return r.ok ? { edge: r.ports.edge, internal: r.ports.internal, api: r.ports.api } : r.message;
};


describe("a running edge keeps its port", () => {
  const faults: Array<[string, (world: World) => void]> = [
    ["corrupt", (x) => writeFileSync(x.file, '{"edge": 80')],
    ["deleted", (x) => rmSync(x.file)],
    ["rewritten (another edge port, other daemon ports)", (x) => writeEffectivePorts(x.file, { edge: freePort(), internal: freePort(), api: freePort() })],
  ];
  for (const [name, fault] of faults) {
    test(`effective-ports.json ${name}, then a daemon restart: same port, same process, and the file names it again`, async () => {
      const x = await world();
      const seen = portEvents(x.edge).length;
      fault(x);
      expect(await nthPortEvent(x.edge, seen)).toMatchObject({ trigger: "file", listening: x.port });
      await echoesThrough(x.port, `127.0.0.1:${echo.port}`, "after-the-fault");

      await restartDaemon(x);
      expect(recorded(x.file)).toEqual(x.s.ports);
      expect(await nthPortEvent(x.edge, seen + 1)).toMatchObject({ trigger: "file", listening: x.port });
      await echoesThrough(x.port, `127.0.0.1:${echo.port}`, "after-the-daemon-restart");
      expect(x.edge.proc.exitCode).toBeNull();
      expect(edgeRecord(x.s)).toEqual({ pid: x.edge.pid, port: x.port });
    });
  }

  test("killed (-9) while the file is corrupt: the restarted edge comes back on the port it held", async () => {
    const x = await world();
    writeFileSync(x.file, "");
    process.kill(x.edge.pid, "SIGKILL");
    await x.edge.proc.exited;
    const again = await startEdgeProcess(x.s, [EDGE_BIN]);
    expect(again.port).toBe(x.port);
    await echoesThrough(x.port, `127.0.0.1:${echo.port}`, "back-on-its-port");
    expect(recorded(x.file)).toEqual(x.s.ports);
  });
});

describe("a pinned edge_port that changes moves it", () => {
  test("pinned, then a daemon restart: the edge moves, this meter's rc block follows, another one does not", async () => {
    const x = await world();
    const meterHome = x.s.meterHome;
    const trust = envBlock({ bundlePath: join(meterHome, "trust-bundle.pem"), caPath: join(meterHome, "ca.pem") });
    const bashrc = join(x.s.home, ".bashrc");
    const zshrc = join(x.s.home, ".zshrc");
    const mine = "alias ll='ls -l'\n\n";
    writeFileSync(bashrc, `${mine}${renderRcBlock(rcEnv(x.port, trust))}export AFTER=1\n`);
    // A block some other meter home wrote (another checkout): it happens to name the same port.
    const foreign = renderRcBlock(rcEnv(x.port, envBlock({ bundlePath: "/elsewhere/trust-bundle.pem", caPath: "/elsewhere/ca.pem" })));
    writeFileSync(zshrc, foreign);

    const next = freePort();
    x.s.writeConfig(daemonConfig(x.s, `edge_port = ${next}\n`));
    const seen = portEvents(x.edge).length;
    await restartDaemon(x);
    expect(recorded(x.file)).toEqual({ ...x.s.ports, edge: next });
    expect(await nthPortEvent(x.edge, seen)).toMatchObject({ event: "edge.ports.reloaded", edge: next, listening: next });

    expect(readFileSync(bashrc, "utf8")).toBe(`${mine}${renderRcBlock(rcEnv(next, trust))}export AFTER=1\n`);
    expect(readFileSync(zshrc, "utf8")).toBe(foreign);
    expect(x.edge.events("edge.rc.repointed")).toEqual([expect.objectContaining({ from: x.port, to: next, files: [bashrc] })]);
    await echoesThrough(next, `127.0.0.1:${echo.port}`, "on-the-pinned-port");
    expect(await canConnect(x.port)).toBe(false);
    expect(edgeRecord(x.s)).toEqual({ pid: x.edge.pid, port: next });
  });
});
