import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectThrough } from "../harness/client.ts";
import { type EchoServer, echoServer } from "../harness/raw.ts";
import { BUN, canConnect, freePort, makeSandbox, portsToml, repoRoot, type Sandbox, waitFor } from "../harness/sandbox.ts";
import { healthy } from "./_env.ts";

// A daemon configured with `[upstream] proxy` sends its raw tunnels (hosts it does not meter)
// through that proxy too: on a network whose only way out is a corporate proxy, a direct dial
// would fail. The proxy here is Debian's tinyproxy.

setDefaultTimeout(30_000);

let sb: Sandbox;
let echo: EchoServer;
let tinyLog: string;

beforeAll(async () => {
  sb = makeSandbox("hm-daemon-proxy-");
  echo = echoServer();
  const tinyPort = freePort();
  tinyLog = join(sb.root, "tinyproxy.log");
  const conf = join(sb.root, "tinyproxy.conf");
  writeFileSync(conf, [`Port ${tinyPort}`, "Listen 127.0.0.1", "Allow 127.0.0.1", `LogFile "${tinyLog}"`, "LogLevel Connect", `ConnectPort ${echo.port}`, ""].join("\n"));
  sb.spawn(["/usr/bin/tinyproxy", "-d", "-c", conf], { stdout: "ignore", stderr: "ignore" });
  await waitFor(() => canConnect(tinyPort), "tinyproxy to listen");
  sb.writeConfig(`${portsToml(sb.ports)}\n[upstream]\nproxy = "http://127.0.0.1:${tinyPort}"\n`);
  sb.spawn([BUN, join(repoRoot, "cmd/halton-meter.ts"), "daemon"]);
  await waitFor(() => healthy(sb.ports.api), "daemon /health");
});

afterAll(async () => {
  echo?.stop();
  await sb?.cleanup();
});

test("a raw tunnel through the daemon leaves through the configured proxy", async () => {
  const c = await connectThrough(sb.ports.internal, `127.0.0.1:${echo.port}`);
  c.write("not a provider");
  expect((await c.untilText("not a provider")).toString()).toBe("not a provider");
  c.close();
  expect(readFileSync(tinyLog, "utf8")).toContain(`CONNECT 127.0.0.1:${echo.port}`);
});

test("a tunnel the proxy refuses is a 502 naming the proxy", async () => {
  const closed = freePort();
  const c = await connectThrough(sb.ports.internal, `127.0.0.1:${closed}`).catch((e: Error) => e.message);
  expect(String(c)).toContain("502");
  expect(String(c)).toContain("refused CONNECT");
});
