import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectThrough } from "../harness/client.ts";
import { type EchoServer, echoServer } from "../harness/raw.ts";
import { type MeterEnv, startMeter, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { canConnect, freePort, waitFor } from "../harness/sandbox.ts";

// A daemon configured with `[upstream] proxy` sends its raw tunnels (hosts it does not meter)
// through that proxy too: on a network whose only way out is a corporate proxy, a direct dial
// would fail. The proxy here is Debian's tinyproxy.

setDefaultTimeout(30_000);

let env: MeterEnv;
let echo: EchoServer;
let tinyLog: string;

beforeAll(async () => {
  echo = echoServer();
  const tinyPort = freePort();
  env = await startMeter({ prefix: "hm-daemon-proxy-", fake: false, upstreamToml: `proxy = "http://127.0.0.1:${tinyPort}"\n`, daemon: false, edge: false });
  tinyLog = join(env.sb.root, "tinyproxy.log");
  const conf = join(env.sb.root, "tinyproxy.conf");
  writeFileSync(conf, [`Port ${tinyPort}`, "Listen 127.0.0.1", "Allow 127.0.0.1", `LogFile "${tinyLog}"`, "LogLevel Connect", `ConnectPort ${echo.port}`, ""].join("\n"));
  env.sb.spawn(["/usr/bin/tinyproxy", "-d", "-c", conf], { stdout: "ignore", stderr: "ignore" });
  await waitFor(() => canConnect(tinyPort), "tinyproxy to listen");
  await env.startDaemon();
}, STARTUP_HOOK_MS);

afterAll(async () => {
  echo?.stop();
  await env?.stop();
});

test("a raw tunnel through the daemon leaves through the configured proxy", async () => {
  const c = await connectThrough(env.sb.ports.internal, `127.0.0.1:${echo.port}`);
  c.write("not a provider");
  expect((await c.untilText("not a provider")).toString()).toBe("not a provider");
  c.close();
  expect(readFileSync(tinyLog, "utf8")).toContain(`CONNECT 127.0.0.1:${echo.port}`);
});

test("a tunnel the proxy refuses is a 502 naming the proxy", async () => {
  const closed = freePort();
  const c = await connectThrough(env.sb.ports.internal, `127.0.0.1:${closed}`).catch((e: Error) => e.message);
  expect(String(c)).toContain("502");
  expect(String(c)).toContain("refused CONNECT");
});
