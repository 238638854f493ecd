import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { startEdge } from "../../core/edge/server.ts";
import { memoryLog } from "../../core/log/index.ts";
import { httpProxyConnector } from "../../core/proxy/connect.ts";
import { Dialer } from "../../core/proxy/dialer.ts";
import { connectThrough, TestClient } from "../harness/client.ts";
import { type EchoServer, echoServer } from "../harness/raw.ts";
import { canConnect, freePort, waitFor } from "../harness/sandbox.ts";

// `[upstream] proxy` for networks whose only way out is a corporate proxy, against a real one:
// Debian's tinyproxy, which answers CONNECT only for the ports its config allows.

setDefaultTimeout(30_000);

/** The dialer both processes use, configured with `[upstream] proxy` on that port. */
const through = (port: number) => new Dialer({ proxy: `http://127.0.0.1:${port}`, connectTimeoutMs: 5000 });

const TINYPROXY = "/usr/bin/tinyproxy";
let dir: string;
let tiny: { proc: Subprocess; port: number; log: string };
let echo: EchoServer;
let greeter: EchoServer;

async function startTinyproxy(allowPorts: number[]): Promise<typeof tiny> {
  const port = freePort();
  const log = join(dir, `tinyproxy-${port}.log`);
  const conf = join(dir, `tinyproxy-${port}.conf`);
  const lines = [`Port ${port}`, "Listen 127.0.0.1", "Timeout 60", "Allow 127.0.0.1", `LogFile "${log}"`, "LogLevel Connect", ...allowPorts.map((p) => `ConnectPort ${p}`)];
  writeFileSync(conf, `${lines.join("\n")}\n`);
  const proc = Bun.spawn([TINYPROXY, "-d", "-c", conf], { stdout: "ignore", stderr: "ignore" });
  await waitFor(async () => proc.exitCode === null && (await canConnect(port)), "tinyproxy to listen");
  return { proc, port, log };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hm-upproxy-"));
  echo = echoServer();
  greeter = echoServer("220 hello from the server\r\n");
  tiny = await startTinyproxy([echo.port, greeter.port]);
});

afterAll(() => {
  tiny?.proc.kill();
  echo?.stop();
  greeter?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Bytes a socket receives, until `want` bytes arrived. */
function collect(): { events: Parameters<ReturnType<typeof httpProxyConnector>>[2]; got: () => string; until: (n: number) => Promise<string> } {
  let buf = "";
  const events = { data: (d: Buffer) => void (buf += d.toString("latin1")), drain() {}, end() {}, close() {} };
  return { events, got: () => buf, until: (n) => waitFor(() => (buf.length >= n ? buf : null), `${n} bytes`) };
}

describe("httpProxyConnector through tinyproxy", () => {
  test("reaches the target through CONNECT and relays both ways", async () => {
    const c = collect();
    const s = await httpProxyConnector(`http://127.0.0.1:${tiny.port}`)("127.0.0.1", echo.port, c.events);
    s.write("ping through the corporate proxy");
    expect(await c.until(32)).toBe("ping through the corporate proxy");
    s.end();
    await waitFor(() => readFileSync(tiny.log, "utf8").includes(`CONNECT 127.0.0.1:${echo.port}`) || null, "tinyproxy to log the CONNECT");
  });

  test("a server that speaks first loses no byte between the proxy's answer and the relay", async () => {
    const opened = await through(tiny.port).tcp("127.0.0.1", greeter.port);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    // The banner either arrived with the proxy's 200 (early) or just after it.
    await waitFor(() => (Buffer.concat(opened.early).toString().includes("220 hello") ? true : null), "the banner");
    opened.socket.end();
  });

  test("a CONNECT the proxy refuses is a 'proxy' failure that names the proxy's status", async () => {
    const closedPort = freePort();
    const why = await through(tiny.port).tcp("127.0.0.1", closedPort);
    expect(why.ok).toBe(false);
    if (why.ok) return;
    expect(why.kind).toBe("proxy");
    expect(why.reason).toContain(`upstream proxy 127.0.0.1:${tiny.port} refused CONNECT 127.0.0.1:${closedPort} (403)`);
  });

  test("a proxy that is not there is a 'proxy' failure too, not a hang", async () => {
    const nowhere = freePort();
    const opened = await through(nowhere).tcp("api.example", 443);
    expect(opened.ok).toBe(false);
    if (opened.ok) return;
    expect(opened.kind).toBe("proxy");
    expect(opened.reason).toContain(`upstream proxy 127.0.0.1:${nowhere} cannot be reached`);
  });

  test("something that is not an HTTP proxy is refused as such", async () => {
    const opened = await through(greeter.port).tcp("api.example", 443);
    expect(opened.ok).toBe(false);
    if (!opened.ok) expect(opened.reason).toContain("(not HTTP)");
  });
});

describe("the edge's passthrough leaves through [upstream] proxy", () => {
  let edge: ReturnType<typeof startEdge> | undefined;
  afterEach(async () => {
    await edge?.stop(0);
    edge = undefined;
  });

  const start = () => {
    const log = memoryLog();
    // The daemon's ports are closed: every request is passthrough.
    edge = startEdge({
      ports: { edge: freePort(), internal: freePort(), api: freePort() },
      intercepted: new Set(["api.anthropic.com"]),
      healthyTtlMs: 1000,
      probeTimeoutMs: 50,
      headTimeoutMs: 5000,
      chainTimeoutMs: 150,
      maxConnections: 64,
      log,
      dialer: new Dialer({ proxy: `http://127.0.0.1:${tiny.port}`, connectTimeoutMs: 5000 }),
    });
    return { edge, log };
  };

  test("a CONNECT through the edge reaches its target via the corporate proxy", async () => {
    const { edge } = start();
    const before = readFileSync(tiny.log, "utf8").split(`CONNECT 127.0.0.1:${echo.port}`).length;
    const c = await connectThrough(edge.port, `127.0.0.1:${echo.port}`);
    c.write("hello");
    expect((await c.untilText("hello")).toString()).toBe("hello");
    c.close();
    const after = readFileSync(tiny.log, "utf8").split(`CONNECT 127.0.0.1:${echo.port}`).length;
    expect(after).toBe(before + 1);
  });

  test("when the proxy refuses, the client gets a 502 that says so", async () => {
    const { edge, log } = start();
    const closedPort = freePort();
    const c = await TestClient.connect(edge.port);
    c.write(`CONNECT 127.0.0.1:${closedPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const answer = (await c.untilClosed()).toString();
    expect(answer).toStartWith("HTTP/1.1 502");
    expect(answer).toContain("refused CONNECT");
    expect(log.lines.some((e) => e.event === "edge.error" && e.kind === "proxy")).toBe(true);
  });
});
