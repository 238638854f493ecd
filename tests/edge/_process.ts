// The edge as a real process (`bun cmd/edge.ts`) in a throwaway HOME, for the process suites: a
// sandbox per test, tunnels through the edge to an echo server, and the cleanup of both. Call
// `edgeProcesses()` at a test file's top level: it registers the hooks.

import { afterAll, afterEach, beforeAll, expect, setDefaultTimeout } from "bun:test";
import { connectThrough, type TestClient } from "../harness/client.ts";
import type { EdgeProcess } from "../harness/edge-process.ts";
import { type EchoServer, echoServer } from "../harness/raw.ts";
import { makeSandbox, type Sandbox } from "../harness/sandbox.ts";

export interface EdgeProcesses {
  /** The tunnels' target: echoes every byte. */
  readonly echo: EchoServer;
  /** A fresh sandbox, cleaned up after the test (or sooner, by the test). */
  sandbox(): Sandbox;
  /** A tunnel through the edge on `port` (to the echo server by default), closed after the test. */
  tunnel(port: number, target?: string): Promise<TestClient>;
}

export function edgeProcesses(): EdgeProcesses {
  // These tests start real processes: bunfig.toml's [test] timeout is not applied by Bun 1.4.4,
  // so the default 5 s would be tight on a loaded 2-core machine.
  setDefaultTimeout(30_000);
  let echo: EchoServer | undefined;
  const sandboxes: Sandbox[] = [];
  const clients: TestClient[] = [];
  beforeAll(() => {
    echo = echoServer();
  });
  afterAll(() => echo?.stop());
  afterEach(async () => {
    for (const c of clients.splice(0)) if (!c.closed) c.terminate();
    for (const s of sandboxes.splice(0)) await s.cleanup();
  });
  const procs: EdgeProcesses = {
    get echo() {
      if (!echo) throw new Error("the echo server starts in beforeAll");
      return echo;
    },
    sandbox() {
      const s = makeSandbox("hm-edge-proc-");
      sandboxes.push(s);
      return s;
    },
    async tunnel(port, target = `127.0.0.1:${procs.echo.port}`) {
      const c = await connectThrough(port, target);
      clients.push(c);
      return c;
    },
  };
  return procs;
}

/** Writes `text` into the tunnel and waits for the echo of it. */
export async function echoes(c: TestClient, text: string): Promise<void> {
  const before = c.buf.length;
  c.write(text);
  await c.until((b) => b.length >= before + text.length);
  expect(c.buf.subarray(before).toString()).toBe(text);
}

export const exited = (edge: EdgeProcess) => edge.proc.exitCode !== null || edge.proc.signalCode !== null;
