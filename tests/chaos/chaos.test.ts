import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { type MeterEnv, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { runChaos, startWorld } from "./_scenario.ts";
import { HANG_BUDGET_MS, summaryTable } from "./_summary.ts";

// The chaos suite's short form (the long one is `make chaos`): the compiled edge and daemon as
// real processes, Bun, Node and curl clients through the edge, and every fault once. Plus two
// faults on their own, each a bug this suite found.

let env: MeterEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

async function curlThroughEdge(edgePort: number, bundle: string, query: string, opts: { maxTime?: string } = {}): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(
    ["curl", "-sS", "-N", "--max-time", opts.maxTime ?? "20", "--proxy", `http://127.0.0.1:${edgePort}`, "--cacert", bundle, "-A", "chaos/single", "-H", "x-chaos-id: single", "--data", "{}", "-D", "-", `https://api.anthropic.com/v1/messages${query}`],
    { stdout: "pipe", stderr: "pipe", stdin: "ignore" },
  );
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  return { code, out };
}

describe("chaos, short form", () => {
  test(
    "kill -9, stop, restart, upgrade, a taken API port, a read-only store, a hung daemon, an abandoned handshake, a FIFO .haltonrc and provider resets: no new request fails, no row is lost or doubled",
    async () => {
      const r = await runChaos({ loops: { bun: 2, node: 1, curl: 2 }, phaseMs: 1200, rounds: 1, sseEvents: 5, sseGapMs: 30 });
      const s = r.summary;
      const report = `${r.timeline.join("\n")}\n${summaryTable(s)}\n${s.newFailed.map((f) => `failed: ${JSON.stringify(f)}`).join("\n")}`;
      expect({ newFailed: s.newFailed.length, missingRows: s.missingRows.length, duplicated: s.duplicated.length, integrity: s.integrity, report }).toEqual({
        newFailed: 0,
        missingRows: 0,
        duplicated: 0,
        integrity: "ok",
        report,
      });
      expect(r.unexpectedExits).toEqual([]);
      expect(r.refusedTakenPort).toBe(true);
      expect(r.portsKept).toBe(true);
      // The faults really happened: traffic went both ways, and every client took part.
      expect(s.metered).toBeGreaterThan(20);
      expect(s.tunnelled).toBeGreaterThan(5);
      expect(Object.keys(s.byClient).sort()).toEqual(["after-abandon", "bun", "curl", "hang-probe", "node"]);
      expect(s.resetsMetered).toBeGreaterThan(0);
      if (r.readOnlyFault) expect(r.storeErrors).toBeGreaterThan(0);
      expect(s.resetsMissingRows).toEqual([]);
      // A hung daemon is passed by: new requests went through raw, at a bounded cost.
      expect(s.tunnelledInHang).toBeGreaterThan(0);
      expect(s.slowestInHangMs - s.typicalJsonMs).toBeLessThan(HANG_BUDGET_MS);
      // After it abandoned a handshake, this process's requests through the daemon were still
      // metered (a row each: the missing-rows target above; a bypassed process gets none), and
      // attribution met the planted FIFO without waiting on it.
      expect(s.meteredByClient["after-abandon"]).toBeGreaterThan(0);
      expect(r.fifoNoted).toBeGreaterThan(0);
    },
    120_000,
  );
});

describe("faults on their own", () => {
  test("with [upstream] resolve, the edge tunnels a metered host to the mapped address while the daemon is down", async () => {
    const { meter, bundle } = await startWorld();
    env = meter.env;
    await meter.stop();
    const { code, out } = await curlThroughEdge(env.sb.ports.edge, bundle, "");
    expect(code).toBe(0);
    // The provider saw the edge itself connect: tunnelled, not metered, and answered.
    expect(out).toContain("x-chaos-via: edge");
    expect(out).toContain('"id":"msg_single"');
  }, STARTUP_HOOK_MS);

  test("a client that drops a stream half-way: the daemon ends the exchange, records it incomplete and lets the upstream go", async () => {
    const { meter, bundle } = await startWorld();
    env = meter.env;
    // curl gives up after 1 s of a stream that would last 50 s.
    const { code, out } = await curlThroughEdge(env.sb.ports.edge, bundle, "?sse=1000&gap=50", { maxTime: "1" });
    expect(code).toBe(28);
    expect(out).toContain("x-chaos-via: daemon");
    const row = await env.waitRow((r) => r.user_agent === "chaos/single", "the row of the abandoned stream");
    expect(row.tokens_complete).toBe(0);
    expect(readFileSync(env.path("daemon.log"), "utf8")).toContain("client closed the connection mid-exchange");
    expect(meter.unexpectedExits).toEqual([]);
  }, STARTUP_HOOK_MS);
});
