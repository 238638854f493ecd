// The edge in-process against a fake daemon, for the edge's own suites. "127.0.0.1" plays the
// metered provider host so that chained and raw paths both stay on loopback. Call
// `inProcessEdge()` at a test file's top level: it registers the hooks that start the echo server
// and stop each test's edge and fake daemon.

import { afterAll, afterEach, beforeAll } from "bun:test";
import { defaultConfig } from "../../core/config/load.ts";
import { type Edge, startEdge } from "../../core/edge/server.ts";
import { memoryLog } from "../../core/log/jsonl.ts";
import { Dialer } from "../../core/proxy/dialer.ts";
import { FakeDaemon } from "../harness/fake-daemon.ts";
import { type EchoServer, echoServer } from "../harness/raw.ts";
import { freePort } from "../harness/sandbox.ts";

export type EdgeOptions = Partial<Parameters<typeof startEdge>[0]>;

export interface InProcessEdge {
  /** The tunnels' target: echoes every byte. */
  readonly echo: EchoServer;
  /** `127.0.0.1:<echo port>`. */
  readonly target: string;
  /** Starts this test's edge on fresh ports, with a log in memory. */
  setup(over?: EdgeOptions): { ports: { edge: number; internal: number; api: number }; log: ReturnType<typeof memoryLog>; edge: Edge };
  /** Starts this test's fake daemon on the edge's API and internal ports. */
  daemon(ports: { api: number; internal: number }): FakeDaemon;
}

export function inProcessEdge(): InProcessEdge {
  let echo: EchoServer | undefined;
  let edge: Edge | undefined;
  let daemon: FakeDaemon | undefined;
  beforeAll(() => {
    echo = echoServer();
  });
  afterAll(() => echo?.stop());
  afterEach(async () => {
    await edge?.stop(0);
    daemon?.stop();
    edge = undefined;
    daemon = undefined;
  });
  const bench: InProcessEdge = {
    get echo() {
      if (!echo) throw new Error("the echo server starts in beforeAll");
      return echo;
    },
    get target() {
      return `127.0.0.1:${bench.echo.port}`;
    },
    setup(over = {}) {
      const ports = { edge: freePort(), internal: freePort(), api: freePort() };
      const log = memoryLog();
      edge = startEdge({
        ports,
        intercepted: new Set(["127.0.0.1"]),
        healthyTtlMs: 1000,
        probeTimeoutMs: 50,
        headTimeoutMs: 5000,
        dialer: new Dialer({ connectTimeoutMs: 2000 }),
        chainTimeoutMs: defaultConfig().edge.chain_timeout_ms,
        maxConnections: 1000,
        log,
        ...over,
      });
      return { ports, log, edge };
    },
    daemon(ports) {
      daemon = new FakeDaemon(ports.api, ports.internal).start();
      return daemon;
    },
  };
  return bench;
}
