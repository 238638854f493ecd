import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TCPSocketListener } from "bun";
import { defaultConfig, parseConfigText } from "../../core/config/index.ts";
import { followPorts } from "../../core/edge/follow.ts";
import { chooseAndRecordPorts, edgeStartPorts, readEffectivePorts, resolvePorts, runningEdgePort, writeEdgeRecord, writeEffectivePorts } from "../../core/ports/index.ts";
import { rcEnv, renderRcBlock, repointRcBlock } from "../../core/service/rc-block.ts";
import { freePort, makeSandbox, type Sandbox } from "../harness/sandbox.ts";

// Issue 13, point 5, below the processes: the edge's own record of its port, the daemon's choice
// that keeps it, the pure rule for a running edge, and the rc block following a pinned move.

let sb: Sandbox;
let n = 0;
// Stands in for the running edge: a bound port, held by this test process.
let edgeSocket: TCPSocketListener<unknown>;
beforeAll(() => {
  sb = makeSandbox("hm-edge-ports-");
  edgeSocket = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
});
afterAll(() => {
  edgeSocket.stop(true);
  return sb.cleanup();
});
const freshHome = () => {
  const d = join(sb.root, `case-${++n}`);
  mkdirSync(d);
  return d;
};
const configOf = (toml: string) => {
  const r = parseConfigText(toml, "config.toml");
  if (!r.ok) throw new Error(r.error.message);
  return r.config;
};
const tuple = (file: string) => {
  const r = readEffectivePorts(file);
  return r.ok ? { edge: r.ports.edge, internal: r.ports.internal, api: r.ports.api } : null;
};

describe("the edge's record (run/edge-port.json)", () => {
  test("a live edge holding its recorded port is running; a dead pid, another command or a free port is not", () => {
    const home = freshHome();
    expect(runningEdgePort(home)).toBeNull();
    // A fake /proc saying this test process is an edge: the record names its pid and a bound port.
    const proc = join(home, "proc");
    mkdirSync(join(proc, "self"), { recursive: true });
    mkdirSync(join(proc, String(process.pid)));
    writeFileSync(join(proc, String(process.pid), "cmdline"), "/home/u/.local/bin/halton-meter-edge\0");
    writeEdgeRecord(home, { pid: process.pid, port: edgeSocket.port });
    expect(runningEdgePort(home, proc)).toBe(edgeSocket.port);
    writeEdgeRecord(home, { pid: process.pid, port: freePort() });
    expect(runningEdgePort(home, proc)).toBeNull();
    writeFileSync(join(proc, String(process.pid), "cmdline"), "/usr/bin/python3\0-m\0http.server\0");
    writeEdgeRecord(home, { pid: process.pid, port: edgeSocket.port });
    expect(runningEdgePort(home, proc)).toBeNull();
    writeEdgeRecord(home, { pid: 2 ** 22 + 12345, port: edgeSocket.port });
    expect(runningEdgePort(home, proc)).toBeNull();
    writeFileSync(join(home, "run", "edge-port.json"), "{torn");
    expect(runningEdgePort(home, proc)).toBeNull();
  });
});

describe("the daemon's choice keeps the running edge's port", () => {
  const edge = () => edgeSocket.port;
  const config = () => configOf(`[daemon]\ninternal_port = ${freePort()}\napi_port = ${freePort()}\n`);

  for (const [fault, damage] of [
    ["corrupt", (file: string) => writeFileSync(file, "{ not json")],
    ["deleted", () => {}],
    ["rewritten with another edge port", (file: string, c: ReturnType<typeof config>) => writeEffectivePorts(file, { edge: freePort(), internal: c.daemon.internal_port!, api: c.daemon.api_port! })],
  ] as const) {
    test(`effective-ports.json ${fault}: the edge's port is recorded again`, () => {
      const file = join(freshHome(), "effective-ports.json");
      const c = config();
      damage(file, c);
      const r = resolvePorts(file, c, new Set(), edge());
      expect(r).toMatchObject({ ok: true, ports: { edge: edge(), internal: c.daemon.internal_port, api: c.daemon.api_port } });
      expect(tuple(file)).toEqual({ edge: edge(), internal: c.daemon.internal_port!, api: c.daemon.api_port! });
    });
  }

  test("a file that agrees is used as it is; a pinned edge_port elsewhere wins over the running edge", () => {
    const file = join(freshHome(), "effective-ports.json");
    const c = config();
    const ports = { edge: edge(), internal: c.daemon.internal_port!, api: c.daemon.api_port! };
    writeEffectivePorts(file, ports);
    const before = readFileSync(file, "utf8");
    expect(resolvePorts(file, c, new Set(), edge())).toMatchObject({ ok: true, ports });
    expect(readFileSync(file, "utf8")).toBe(before);
    const pinned = freePort();
    const moved = configOf(`[daemon]\nedge_port = ${pinned}\ninternal_port = ${ports.internal}\napi_port = ${ports.api}\n`);
    expect(resolvePorts(file, moved, new Set(), edge())).toMatchObject({ ok: true, ports: { edge: pinned } });
    expect(tuple(file)?.edge).toBe(pinned);
  });

  test("init and doctor's choice (chooseAndRecordPorts) keeps it too, though it is bound", () => {
    const file = join(freshHome(), "effective-ports.json");
    writeFileSync(file, "");
    expect(chooseAndRecordPorts(file, config(), new Set(), edge())).toMatchObject({ ok: true, ports: { edge: edge() } });
  });
});

describe("the edge's start", () => {
  test("no usable file: the port it last held is preferred to the default", () => {
    const file = join(freshHome(), "effective-ports.json");
    const last = freePort();
    expect(edgeStartPorts(file, configOf(`[daemon]\ninternal_port = ${freePort()}\n`), last)).toMatchObject({ ok: true, ports: { edge: last } });
    expect(tuple(file)?.edge).toBe(last);
  });

  test("a broken config (null): the recorded tuple as it is, or a choice that is not recorded", () => {
    const file = join(freshHome(), "effective-ports.json");
    const last = freePort();
    expect(edgeStartPorts(file, null, last)).toMatchObject({ ok: true, ports: { edge: last } });
    expect(readEffectivePorts(file)).toMatchObject({ ok: false, missing: true });
    const recorded = { edge: freePort(), internal: freePort(), api: freePort() };
    writeEffectivePorts(file, recorded);
    expect(edgeStartPorts(file, null, last)).toMatchObject({ ok: true, ports: recorded });
  });

  test("a good file wins over the last record (init may have moved the port while the edge was down)", () => {
    const file = join(freshHome(), "effective-ports.json");
    const recorded = { edge: freePort(), internal: freePort(), api: freePort() };
    writeEffectivePorts(file, recorded);
    expect(edgeStartPorts(file, defaultConfig(), freePort())).toMatchObject({ ok: true, ports: recorded });
  });
});

describe("followPorts: a running edge follows the daemon's ports, never leaves its own", () => {
  const current = { edge: 9001, internal: 9002, api: 9003 };
  const base = { listening: 9001, current, pinnedEdge: null };
  test("unreadable file: nothing changes", () => {
    expect(followPorts({ ...base, recorded: null })).toEqual(current);
  });
  test("rewritten file: the daemon's ports are taken, the edge port is not", () => {
    expect(followPorts({ ...base, recorded: { edge: 8081, internal: 9102, api: 9103 } })).toEqual({ edge: 9001, internal: 9102, api: 9103 });
  });
  test("a pin alone does not move it; a pin the file records does", () => {
    expect(followPorts({ ...base, pinnedEdge: 9500, recorded: current })).toEqual(current);
    expect(followPorts({ ...base, pinnedEdge: 9500, recorded: { ...current, edge: 9500 } })).toEqual({ ...current, edge: 9500 });
    expect(followPorts({ ...base, pinnedEdge: 9500, recorded: { ...current, edge: 9600 } })).toEqual(current);
  });
});

describe("repointRcBlock", () => {
  const bundle = "/home/u/.halton-meter/trust-bundle.pem";
  const block = (port: number, bundlePath = bundle) => renderRcBlock(rcEnv(port, { SSL_CERT_FILE: bundlePath, NODE_EXTRA_CA_CERTS: "/home/u/.halton-meter/ca.pem" }));

  test("a block naming the old port and this meter's bundle follows; the user's lines stay byte for byte", () => {
    const file = join(freshHome(), ".bashrc");
    const mine = "# my stuff, caf\xe9 in latin1\nalias ll='ls -l'\n";
    writeFileSync(file, Buffer.from(`${mine}\n${block(9001)}export AFTER=1\n`, "latin1"));
    expect(repointRcBlock([file], 9001, 9500, bundle)).toEqual([file]);
    expect(readFileSync(file, "latin1")).toBe(`${mine}\n${block(9500)}export AFTER=1\n`);
    expect(repointRcBlock([file], 9001, 9500, bundle)).toEqual([]);
  });

  test("a block for another port or another meter home is left alone", () => {
    const home = freshHome();
    const other = join(home, ".zshrc");
    const elsewhere = join(home, ".bashrc");
    writeFileSync(other, block(9001, "/tmp/other-checkout/trust-bundle.pem"));
    writeFileSync(elsewhere, block(9002));
    expect(repointRcBlock([other, elsewhere, join(home, ".missing")], 9001, 9500, bundle)).toEqual([]);
    expect(readFileSync(other, "utf8")).toBe(block(9001, "/tmp/other-checkout/trust-bundle.pem"));
    expect(readFileSync(elsewhere, "utf8")).toBe(block(9002));
  });
});
