// Regressions found by the hostile suite: request smuggling framing and byte-faithful plain HTTP.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { exchange } from "../harness/client.ts";
import { STARTUP_HOOK_MS } from "../harness/meter.ts";
import { echoServer } from "../harness/raw.ts";
import { type HostileEnv, startHostileEnv } from "./_env.ts";
import { runTlsCases, statusLine } from "./_wire.ts";

let env: HostileEnv;
beforeAll(async () => {
  env = await startHostileEnv();
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());
const H = "POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nContent-Type: application/json\r\n";

test("Content-Length and Transfer-Encoding together in a request: refused, never forwarded", async () => {
  const [o] = await runTlsCases(env.ourCaPath, [{ name: "d", port: env.sb.ports.internal, steps: [{ send: `${H}User-Agent: bug-d\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n` }] }]);
  expect(statusLine(o!.head)).toBe("HTTP/1.1 400 Bad Request");
  expect(env.fake.requests().some((r) => r.head.includes("bug-d"))).toBe(false);
});

test("the edge forwards a plain-HTTP head byte for byte (latin1 bytes stay latin1)", async () => {
  const echo = echoServer();
  try {
    const head = `GET http://127.0.0.1:${echo.port}/caf\xe9 HTTP/1.1\r\nHost: 127.0.0.1:${echo.port}\r\nX-Raw: \xe9\r\n\r\n`;
    const want = `GET /caf\xe9 HTTP/1.1\r\nHost: 127.0.0.1:${echo.port}\r\nX-Raw: \xe9\r\nConnection: close\r\n\r\n`;
    const got = await exchange(env.sb.ports.edge, Buffer.from(head, "latin1"), { timeoutMs: 1500 });
    expect(got.bytes.toString("latin1")).toBe(want);
  } finally {
    echo.stop();
  }
});
