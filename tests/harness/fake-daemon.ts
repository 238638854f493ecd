// A daemon stand-in for edge tests: an API port whose /health we control (healthy, hanging,
// garbage, 500, reset) and an internal port that records what the edge chains to it (the
// PROXY line and the CONNECT) and then tunnels to the target like the real daemon does for
// hosts it does not decrypt.

import type { Socket, TCPSocketListener } from "bun";
import { parseRequestHead } from "../../core/proxy/head.ts";
import { parseProxyLine } from "../../core/proxy/proxy-protocol.ts";
import { forwardingHandlers, idleEvents, type SocketState, splice } from "../../core/proxy/sockets.ts";
import { parseAuthority } from "../../core/proxy/target.ts";

export type HealthMode = "ok" | "hang" | "garbage" | "500" | "reset";
/** What the internal port does with a chained CONNECT: tunnel it, or read it and never answer (a hung daemon). */
export type InternalMode = "tunnel" | "silent";

export interface Chained {
  proxyLine: string;
  target: string;
}

export class FakeDaemon {
  healthMode: HealthMode = "ok";
  internalMode: InternalMode = "tunnel";
  /** Connections the internal port accepted (answered or not). */
  accepted = 0;
  healthProbes = 0;
  chained: Chained[] = [];
  /** Redirects chained CONNECTs for these hosts to a local port (the "provider"). */
  resolve = new Map<string, number>();
  private api?: TCPSocketListener<unknown>;
  private internal?: TCPSocketListener<SocketState>;

  constructor(
    readonly apiPort: number,
    readonly internalPort: number,
  ) {}

  start(): this {
    this.startApi();
    this.startInternal();
    return this;
  }

  startApi(): void {
    this.api = Bun.listen({
      hostname: "127.0.0.1",
      port: this.apiPort,
      socket: {
        data: (s: Socket<unknown>, d) => {
          if (!d.toString("latin1").includes("\r\n\r\n")) return;
          this.healthProbes++;
          const body = JSON.stringify({ status: "ok", version: "test", pid: process.pid, uptime_s: 1 });
          switch (this.healthMode) {
            case "ok":
              s.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
              return;
            case "hang":
              return;
            case "garbage":
              s.end("\x16\x03\x01 not http at all\r\n\r\n");
              return;
            case "500":
              s.end("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
              return;
            case "reset":
              s.terminate();
              return;
          }
        },
      },
    });
  }

  stopApi(): void {
    this.api?.stop(true);
    this.api = undefined;
  }

  startInternal(): void {
    this.internal = Bun.listen<SocketState>({
      hostname: "127.0.0.1",
      port: this.internalPort,
      allowHalfOpen: true,
      socket: { ...forwardingHandlers, open: (s) => this.accept(s) },
    });
  }

  stopInternal(): void {
    this.internal?.stop(true);
    this.internal = undefined;
  }

  stop(): void {
    this.stopApi();
    this.stopInternal();
  }

  /** Stops accepting on both ports; connections already chained carry on (a restart's gap). */
  pause(): void {
    this.api?.stop(false);
    this.internal?.stop(false);
    this.api = undefined;
    this.internal = undefined;
  }

  private accept(client: Socket<SocketState>): void {
    this.accepted++;
    let buf = Buffer.alloc(0);
    client.data = {
      on: {
        ...idleEvents(),
        data: (d) => {
          buf = Buffer.concat([buf, d]);
          const pl = parseProxyLine(buf);
          if (pl.kind !== "ok") return;
          const head = parseRequestHead(buf.subarray(pl.length));
          if (head.kind !== "ok") return;
          const proxyLine = buf.subarray(0, pl.length).toString("latin1");
          this.chained.push({ proxyLine, target: head.head.target });
          if (this.internalMode === "silent") return;
          const rest = buf.subarray(pl.length + head.length);
          client.data.on = { ...idleEvents(), data: (more) => void (buf = Buffer.concat([buf, more])) };
          const t = parseAuthority(head.head.target);
          if (!t.ok) return void client.end("HTTP/1.1 400 Bad Request\r\n\r\n");
          const port = this.resolve.get(t.target.host) ?? t.target.port;
          const host = this.resolve.has(t.target.host) ? "127.0.0.1" : t.target.host;
          buf = Buffer.from(rest);
          Bun.connect<SocketState>({ hostname: host, port, socket: forwardingHandlers, data: { on: idleEvents() }, allowHalfOpen: true }).then(
            (up) => {
              const sp = splice(client, up);
              sp.down.push(Buffer.from("HTTP/1.1 200 Connection Established\r\n\r\n"));
              if (buf.length) sp.up.push(buf);
            },
            () => client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"),
          );
        },
      },
    };
  }
}
