// The edge's health cache against a real (closed) loopback port: at most one probe in flight,
// and a probe that fails by a bug never leaves the cache stuck on it.

import { expect, test } from "bun:test";
import { DaemonHealth } from "../../core/edge/health-probe.ts";
import { type EventLog, memoryLog } from "../../core/log/jsonl.ts";
import { freePort } from "../harness/sandbox.ts";

function health(log: EventLog) {
  const apiPort = freePort();
  return new DaemonHealth({ apiPort: () => apiPort, probeTimeoutMs: 200, healthyTtlMs: 1000, now: Date.now, log });
}

test("questions asked together share one probe; a refused port is unhealthy, and said so once", async () => {
  const log = memoryLog();
  const h = health(log);
  const [a, b] = [h.healthy(), h.healthy()];
  expect(a).toBe(b);
  expect(await a).toBe(false);
  expect(log.lines.filter((l) => l.event === "edge.health.changed").map((l) => l.why)).toEqual(["refused"]);
});

test("a probe whose bookkeeping throws rejects once; the next question probes again", async () => {
  const inner = memoryLog();
  let throwing = true;
  const log: EventLog = {
    event(name, fields, level) {
      if (throwing) throw new Error("a bug while recording the verdict");
      inner.event(name, fields, level);
    },
    close() {},
  };
  const h = health(log);
  await expect(h.healthy()).rejects.toThrow("a bug while recording the verdict");
  throwing = false;
  expect(await h.healthy()).toBe(false);
  expect(inner.lines.some((l) => l.event === "edge.health.changed")).toBe(true);
});
