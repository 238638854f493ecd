// A relay's tap (what the daemon reads a WebSocket from) sees copies in order and hears the end;
// one that throws is dropped and the relay carries on untouched. Real sockets on loopback.

import { afterAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { forwardingHandlers, idleEvents, type SocketState, splice, type SpliceTap } from "../../core/proxy/sockets.ts";
import { TestClient } from "../harness/client.ts";
import { echoServer } from "../harness/raw.ts";
import { waitFor } from "../harness/sandbox.ts";

const echo = echoServer();
afterAll(() => echo.stop());

function relayWith(tap: SpliceTap) {
  return Bun.listen<SocketState>({
    hostname: "127.0.0.1",
    port: 0,
    allowHalfOpen: true,
    socket: {
      ...forwardingHandlers,
      open: (client: Socket<SocketState>) => {
        client.data = { on: idleEvents() };
        client.pause();
        void Bun.connect<SocketState>({ hostname: "127.0.0.1", port: echo.port, socket: forwardingHandlers, data: { on: idleEvents() }, allowHalfOpen: true }).then((up) => {
          splice(client, up, () => {}, tap);
          client.resume();
        });
      },
    },
  });
}

test("the tap sees each direction's bytes in order, then the end", async () => {
  const seen: string[] = [];
  const relay = relayWith({ bytes: (dir, chunk) => void seen.push(`${dir} ${Buffer.from(chunk).toString()}`), closed: () => void seen.push("closed") });
  const c = await TestClient.connect(relay.port);
  c.write("ping");
  await c.untilText("ping");
  c.close();
  await waitFor(() => seen.includes("closed") || null, "the relay's end");
  expect(seen).toEqual(["up ping", "down ping", "closed"]);
  relay.stop(true);
});

test("a tap that throws is dropped; every byte still goes through", async () => {
  const seen: string[] = [];
  const relay = relayWith({
    bytes: (dir, chunk) => {
      const text = Buffer.from(chunk).toString();
      seen.push(`${dir} ${text}`);
      if (text === "boom") throw new Error("a bug in the tap");
    },
    closed: () => void seen.push("closed"),
  });
  const c = await TestClient.connect(relay.port);
  for (const word of ["a", "boom", "c"]) {
    c.write(word);
    await c.untilText(word);
  }
  expect(c.consume().toString()).toBe("aboomc");
  c.close();
  expect(seen).toEqual(["up a", "down a", "up boom"]);
  relay.stop(true);
});
