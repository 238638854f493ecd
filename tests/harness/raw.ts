// Raw TCP clients and servers for transcript-style tests on loopback.

import type { Socket, TCPSocketListener } from "bun";

/** Sends bytes, collects everything until the server closes (or timeout), returns it. */
export function rawExchange(port: number, payload: string | Uint8Array, opts: { timeoutMs?: number; halfClose?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => resolve(Buffer.concat(chunks)), opts.timeoutMs ?? 5000);
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      allowHalfOpen: true,
      socket: {
        open(s) {
          s.write(payload);
          if (opts.halfClose) s.shutdown();
        },
        data(_s, d) {
          chunks.push(Buffer.from(d));
        },
        close() {
          clearTimeout(timer);
          resolve(Buffer.concat(chunks));
        },
        end(s) {
          s.end();
        },
        connectError: (_s, e) => reject(e),
      },
    }).catch(reject);
  });
}

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
