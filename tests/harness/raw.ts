// A raw TCP echo server for transcript-style tests on loopback (the client is ./client.ts).

import type { Socket, TCPSocketListener } from "bun";

export interface EchoServer {
  port: number;
  connections: number;
  received: Buffer[];
  stop(): void;
}

/** Echoes every byte back; counts connections. With `banner`, greets first. */
export function echoServer(banner?: string): EchoServer {
  const state: EchoServer = { port: 0, connections: 0, received: [], stop: () => {} };
  const l: TCPSocketListener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    allowHalfOpen: true,
    socket: {
      open(s: Socket) {
        state.connections++;
        s.setNoDelay(true);
        if (banner) s.write(banner);
      },
      data(s, d) {
        state.received.push(Buffer.from(d));
        s.write(d);
      },
      end(s) {
        s.end();
      },
    },
  });
  state.port = l.port;
  state.stop = () => l.stop(true);
  return state;
}
