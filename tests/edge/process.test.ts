// The edge as a real process (`bun cmd/edge.ts`) in a throwaway HOME (./_process.ts): SIGTERM and
// SIGINT, and a start-up whose ready line means ready.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { writeEffectivePorts } from "../../core/ports/index.ts";
import { EDGE_SOURCE, startEdgeProcess } from "../harness/edge-process.ts";
import { canConnect, freePort, portsToml, waitFor } from "../harness/sandbox.ts";
import { echoes, edgeProcesses, exited } from "./_process.ts";

const procs = edgeProcesses();

describe("SIGTERM", () => {
  test("stops accepting, keeps an open tunnel relaying until the client closes it, then exits 0", async () => {
    const s = procs.sandbox();
    s.writeConfig(`${portsToml(s.ports)}[edge]\nshutdown_grace_ms = 60000\n`);
    const edge = await startEdgeProcess(s);
    const c = await procs.tunnel(edge.port);
    await echoes(c, "before-sigterm");

    process.kill(edge.pid, "SIGTERM");
    await edge.waitEvent("edge.stopping");
    expect(edge.events("edge.stopping")[0]!.open_connections).toBe(1);
    await waitFor(async () => !(await canConnect(edge.port)), "the edge port to stop accepting");

    // The tunnel opened before the signal still carries bytes both ways.
    await echoes(c, "after-sigterm");
    await echoes(c, "x".repeat(256 * 1024));
    expect(exited(edge)).toBe(false);

    c.close();
    expect(await edge.proc.exited).toBe(0);
    expect(edge.events("edge.exit")).toEqual([expect.objectContaining({ signal: "SIGTERM" })]);
  });

  test("with a short grace an idle tunnel is closed and the process exits 0", async () => {
    const s = procs.sandbox();
    s.writeConfig(`${portsToml(s.ports)}[edge]\nshutdown_grace_ms = 300\n`);
    const edge = await startEdgeProcess(s);
    const c = await procs.tunnel(edge.port);
    await echoes(c, "idle-after-this");
    process.kill(edge.pid, "SIGTERM");
    await c.untilClosed(15_000);
    expect(await edge.proc.exited).toBe(0);
    expect(edge.events("edge.exit")).toHaveLength(1);
  });

  test("with no open connection, SIGTERM and SIGINT each end the process with exit 0", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const s = procs.sandbox();
      s.writeConfig(`${portsToml(s.ports)}[edge]\nshutdown_grace_ms = 60000\n`);
      const edge = await startEdgeProcess(s);
      process.kill(edge.pid, signal);
      expect(await edge.proc.exited).toBe(0);
      expect(edge.events("edge.exit")).toEqual([expect.objectContaining({ signal })]);
      await s.cleanup();
    }
  });
});

// Known defect, kept failing until fixed (see the report): cmd/edge.ts logs edge.startup.ready
// before it installs its SIGTERM/SIGINT handlers and its folder watcher, so a supervisor that acts
// on the ready line can kill it with the default signal action, and a ports change written in
// that gap is never seen. Each attempt hits the gap most of the time; three attempts make a pass
// by luck unlikely, and once ready is logged last every attempt passes.
describe("start-up order: ready means ready", () => {
  test("a SIGTERM sent the moment edge.startup.ready appears is a graceful stop (exit 0)", async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const s = procs.sandbox();
      s.writeConfig(portsToml(s.ports));
      const edge = await startEdgeProcess(s, EDGE_SOURCE, { settle: false });
      process.kill(edge.pid, "SIGTERM");
      expect({ attempt, code: await edge.proc.exited, signal: edge.proc.signalCode }).toEqual({ attempt, code: 0, signal: null });
      await s.cleanup();
    }
  });

  test("effective-ports.json rewritten the moment edge.startup.ready appears is picked up (the daemon's new port)", async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const s = procs.sandbox();
      const file = join(s.meterHome, "effective-ports.json");
      writeEffectivePorts(file, s.ports);
      const edge = await startEdgeProcess(s, EDGE_SOURCE, { settle: false });
      const next = freePort();
      writeEffectivePorts(file, { ...s.ports, internal: next });
      const seen = await edge.waitEvent("edge.ports.reloaded", () => true, 3000).then(
        (l) => l.internal,
        (err: Error) => err.message,
      );
      expect({ attempt, seen }).toEqual({ attempt, seen: next });
      await s.cleanup();
    }
  });
});
