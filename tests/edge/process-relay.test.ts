// The edge as a real process (`bun cmd/edge.ts`) in a throwaway HOME (./_process.ts): a
// quarter-gigabyte through a slow reader, and the daemon going away under it.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { writeEffectivePorts } from "../../core/ports/index.ts";
import { startEdgeProcess } from "../harness/edge-process.ts";
import { FakeDaemon } from "../harness/fake-daemon.ts";
import { BUN, canConnect, portsToml, waitFor } from "../harness/sandbox.ts";
import { echoes, edgeProcesses, exited } from "./_process.ts";
import { collect, slowRead } from "./_slow-reader.ts";

const procs = edgeProcesses();

describe("bounded memory under backpressure", () => {
  test("256 MiB to a slow reader: byte-exact, and the edge's RSS stays bounded", async () => {
    const s = procs.sandbox();
    s.writeConfig(portsToml(s.ports));
    const TOTAL = 256 * 1024 * 1024;
    const server = s.spawn([BUN, join(import.meta.dir, "_blast-server.ts"), String(TOTAL)]);
    const serverOut = collect(server);
    const serverPort = Number((await waitFor(() => /PORT (\d+)/.exec(serverOut.text), "the blast server"))[1]);
    const edge = await startEdgeProcess(s);
    const idleRss = edge.rss()!;

    let maxRss = idleRss;
    const sampler = setInterval(() => {
      const r = edge.rss();
      if (r !== null && r > maxRss) maxRss = r;
    }, 20);
    const t0 = performance.now();
    let received: { bytes: number; sha: string; pauses: number };
    try {
      received = await slowRead(edge.port, `127.0.0.1:${serverPort}`, TOTAL);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - t0) / 1000;
    const sent = await waitFor(() => /SENT (\d+) ([0-9a-f]{64})/.exec(serverOut.text), "the server's digest");
    console.log(
      `256 MiB through the edge to a slow reader: ${(TOTAL / 1e6 / seconds).toFixed(0)} MB/s over ${seconds.toFixed(1)} s, ${received.pauses} reader pauses; ` +
        `edge VmRSS idle ${(idleRss / 1e6).toFixed(1)} MB, max ${(maxRss / 1e6).toFixed(1)} MB`,
    );
    expect(received.bytes).toBe(TOTAL);
    expect(Number(sent[1])).toBe(TOTAL);
    expect(received.sha).toBe(sent[2]!);
    expect(maxRss).toBeLessThan(200 * 1024 * 1024);
  }, 180_000);
});

describe("the daemon goes away (invariants 1 and 4)", () => {
  test("chained while the daemon is up; after it stops the edge port stays bound and the next CONNECT succeeds", async () => {
    const s = procs.sandbox();
    // 127.0.0.1 plays a metered provider host, so a healthy daemon gets the CONNECT chained.
    s.writeConfig(`${portsToml(s.ports)}[capture]\nextra_hosts = ["127.0.0.1"]\n`);
    // The daemon starts first and records the ports it chose, as the real one does.
    writeEffectivePorts(join(s.meterHome, "effective-ports.json"), s.ports);
    const daemon = new FakeDaemon(s.ports.api, s.ports.internal).start();
    try {
      const edge = await startEdgeProcess(s);
      for (const word of ["first", "second"]) {
        const c = await procs.tunnel(edge.port);
        await echoes(c, word);
        c.close();
      }
      expect(daemon.chained.length).toBeGreaterThanOrEqual(1);
      expect(daemon.chained[0]!.target).toBe(`127.0.0.1:${procs.echo.port}`);
      expect(daemon.chained[0]!.proxyLine).toMatch(new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 \\d+ ${edge.port}\\r\\n$`));
      const chainedBefore = daemon.chained.length;

      daemon.stop();
      expect(await canConnect(edge.port)).toBe(true);
      for (const word of ["after-stop-1", "after-stop-2"]) {
        const c = await procs.tunnel(edge.port);
        await echoes(c, word);
        c.close();
      }
      expect(daemon.chained.length).toBe(chainedBefore);
      expect(edge.events("edge.passthrough").length).toBeGreaterThanOrEqual(1);
      expect(exited(edge)).toBe(false);

      // The daemon comes back: once the unhealthy verdict expires, requests are chained again.
      daemon.start();
      await waitFor(async () => {
        const c = await procs.tunnel(edge.port);
        await echoes(c, "again");
        c.close();
        return daemon.chained.length > chainedBefore;
      }, "a request chained to the restarted daemon");
    } finally {
      daemon.stop();
    }
  });
});
