// The reader against a real WebSocket implementation's bytes: Bun's server and client, with
// permessage-deflate negotiated, talking through a loopback relay that
// keeps a copy of each direction. What the reader makes of the copies must be what each side sent.

import { afterAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { createWsReader, negotiatedDeflate, type WsEvent } from "../../core/ws/reader.ts";

const sentByClient = ['{"type":"response.create","model":"gpt-5.5","input":[]}', "second ".repeat(50), '{"type":"response.create","model":"gpt-5.5","input":[],"previous_response_id":"resp_1"}'];
const sentByServer = ['{"type":"response.created"}', `{"type":"response.output_text.delta","delta":"${"word ".repeat(3000)}"}`, '{"type":"response.completed"}', '{"type":"response.completed"}'];

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("no", { status: 400 })),
  websocket: {
    perMessageDeflate: true,
    message(ws, message) {
      if (message === sentByClient.at(-1)) for (const m of sentByServer) ws.send(m, true);
    },
  },
});

interface RelayState {
  peer?: Socket<RelayState>;
  pending: Uint8Array[];
  dir: "up" | "down";
}

const copies: Record<"up" | "down", Buffer[]> = { up: [], down: [] };
const relay = Bun.listen<RelayState>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    async open(client) {
      client.data = { pending: [], dir: "up" };
      const upstream = await Bun.connect<RelayState>({
        hostname: "127.0.0.1",
        port: server.port!,
        socket: {
          data: (_s, d) => {
            copies.down.push(Buffer.from(d));
            client.write(d);
          },
          close: () => void client.end(),
        },
        data: { pending: [], dir: "down", peer: client },
      });
      client.data.peer = upstream;
      for (const d of client.data.pending) upstream.write(d);
    },
    data(client, d) {
      copies.up.push(Buffer.from(d));
      if (client.data.peer) client.data.peer.write(d);
      else client.data.pending.push(Buffer.from(d));
    },
    close: (client) => void client.data.peer?.end(),
  },
});

afterAll(() => {
  relay.stop(true);
  server.stop(true);
});

const texts = (events: WsEvent[]) => events.flatMap((e) => (e.kind === "message" ? [Buffer.from(e.data).toString()] : []));

test("Bun's own client and server, permessage-deflate as they negotiate it: every message read back from the copies", async () => {
  // Bun's client offers permessage-deflate by default; the 101 is checked for it below.
  const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/v1/responses`);
  const got: string[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => sentByClient.forEach((m) => ws.send(m));
    ws.onmessage = (e) => {
      got.push(String(e.data));
      if (got.length === sentByServer.length) resolve();
    };
    ws.onerror = () => reject(new Error("websocket error"));
  });
  // The server answers the client's close through the relay: once it arrives, both closes were copied.
  const closed = new Promise((resolve) => (ws.onclose = resolve));
  ws.close(1000, "done");
  await closed;
  expect(got).toEqual(sentByServer);

  const down = Buffer.concat(copies.down);
  const headEnd = down.indexOf("\r\n\r\n") + 4;
  const head = down.subarray(0, headEnd).toString("latin1");
  expect(head).toStartWith("HTTP/1.1 101");
  const extensions = /^sec-websocket-extensions:\s*(.+)$/im.exec(head)?.[1]?.trim() ?? null;
  const deflate = negotiatedDeflate(extensions);
  // Bun's sides agree permessage-deflate without context takeover (tests/ws/deflate.test.ts covers takeover).
  expect(deflate).toEqual({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 });

  const up = Buffer.concat(copies.up);
  const fromClient = createWsReader({ from: "client", deflate });
  const fromServer = createWsReader({ from: "server", deflate });
  const clientEvents = [...fromClient.push(up.subarray(up.indexOf("\r\n\r\n") + 4)), ...fromClient.end()];
  const serverEvents = [...fromServer.push(down.subarray(headEnd)), ...fromServer.end()];
  expect(texts(clientEvents)).toEqual(sentByClient);
  expect(texts(serverEvents)).toEqual(sentByServer);
  expect(clientEvents.find((e) => e.kind === "close")).toEqual({ kind: "close", code: 1000, reason: "done" });
  // The large delta went compressed: far fewer bytes on the wire than its text.
  expect(down.length).toBeLessThan(sentByServer.join("").length / 2);
});
