// Connections that outlive two minutes. Bun arms a 120 s timer on every socket a listener
// accepts, and traffic does not reset it; when the edge and the daemon ended sockets on that
// event, every connection through them was cut 120 s after it opened: a long Claude Code
// stream mid-answer, a raw tunnel, an idle keep-alive connection alike. This file runs one
// connection of each kind through real edge and daemon processes for longer than that, all at
// once (one test, about 126 s), and pins the Bun behaviour the fix answers to.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Socket, type TCPSocketListener } from "bun";
import { MSG_BODY } from "../daemon/_env.ts";
import { type MeterEnv, startMeter, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { type FakeConn, SSE_HEAD, anthropicSseEvents, chunk, sseEvent } from "../harness/fake-provider.ts";
import { connectThrough } from "../harness/client.ts";
import { type EchoServer, echoServer } from "../harness/raw.ts";
import { disarmAcceptTimer } from "../../core/proxy/sockets.ts";

/** Past Bun's 120 s, with margin for a loaded machine. */
const LIFETIME_MS = 125_000;
const BEAT_MS = 5_000;
const BEATS = Math.ceil(LIFETIME_MS / BEAT_MS);

let env: MeterEnv;
let echo: EchoServer;

/** A stream that sends one event every BEAT_MS for LIFETIME_MS, then the usage and the end. */
async function longStream(c: FakeConn): Promise<void> {
  const [start, middle, end] = anthropicSseEvents({ input: 6100, output: 6200 });
  c.write(SSE_HEAD + chunk(start!));
  for (let i = 1; i <= BEATS; i++) {
    await Bun.sleep(BEAT_MS);
    c.write(chunk(sseEvent("ping", { type: "ping", beat: i })));
  }
  c.write(chunk(middle!) + chunk(end!) + "0\r\n\r\n");
}

beforeAll(async () => {
  env = await startMeter({ prefix: "hm-daemon-", fake: { script: (_req, c) => longStream(c) } });
  echo = echoServer();
}, STARTUP_HOOK_MS);
afterAll(async () => {
  echo?.stop();
  await env?.stop();
});

/** A raw tunnel through `proxyPort` to the echo server, one line every BEAT_MS: how many came back. */
async function longTunnel(proxyPort: number): Promise<number> {
  const c = await connectThrough(proxyPort, `127.0.0.1:${echo.port}`);
  let echoed = 0;
  try {
    for (let i = 1; i <= BEATS; i++) {
      await Bun.sleep(BEAT_MS);
      c.write(`beat-${i}\n`);
      await c.untilText(`beat-${i}\n`, 10_000);
      echoed++;
    }
  } catch {
    // Cut: the count says when.
  }
  c.close();
  return echoed;
}

/** Bun's own behaviour: when does a listener's accepted socket get `timeout`, and does disarming stop it? */
async function acceptTimer(disarm: boolean): Promise<number | null> {
  const t0 = performance.now();
  let firedAt: number | null = null;
  const listener: TCPSocketListener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (s: Socket) => void (disarm && disarmAcceptTimer(s as never)),
      data: (s, d) => void s.write(d),
      timeout: () => void (firedAt ??= performance.now() - t0),
    },
  });
  const client = await Bun.connect({ hostname: "127.0.0.1", port: listener.port, socket: { data() {} } });
  for (let i = 0; i < BEATS; i++) {
    await Bun.sleep(BEAT_MS);
    client.write("x"); // traffic all along: the timer fires anyway
  }
  client.end();
  listener.stop(true);
  return firedAt;
}

test(
  "a stream, a raw tunnel through the edge and one through the daemon all outlive Bun's 120 s accept timer",
  async () => {
    const sse = env.run([
      "curl", "-sS", "-N", "--suppress-connect-headers", "--cacert", env.ourCaPath, "-x", `http://127.0.0.1:${env.sb.ports.edge}`,
      "-H", "content-type: application/json", "https://api.anthropic.com/v1/messages", "-d", MSG_BODY,
    ]);
    const [stream, viaEdge, viaDaemon, armed, disarmed] = await Promise.all([
      sse,
      longTunnel(env.sb.ports.edge),
      longTunnel(env.sb.ports.internal),
      acceptTimer(false),
      acceptTimer(true),
    ]);

    // The stream went through the edge into the daemon's MITM and reached its end intact.
    expect(stream.stderr).toBe("");
    expect(stream.code).toBe(0);
    expect(stream.stdout.match(/event: ping\n/g)?.length).toBe(BEATS);
    expect(stream.stdout).toContain("event: message_stop");
    const [row] = await env.waitRows(1, (r) => r.input_tokens === 6100);
    expect(row!.output_tokens).toBe(6200);
    expect(row!.tokens_complete).toBe(1);

    // Raw tunnels: the edge's passthrough and the daemon's tunnel for a host it does not meter.
    expect(viaEdge).toBe(BEATS);
    expect(viaDaemon).toBe(BEATS);

    // Why this file exists: Bun fires `timeout` near 120 s despite the traffic, unless disarmed.
    expect(armed).not.toBeNull();
    expect(armed!).toBeGreaterThanOrEqual(115_000);
    expect(disarmed).toBeNull();
  },
  LIFETIME_MS + 60_000,
);
