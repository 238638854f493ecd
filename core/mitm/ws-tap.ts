// What the recorder reads from an upgraded connection on a metered host: both directions of a
// WebSocket, decoded (core/ws) from copies of the relayed bytes, and, where the endpoint speaks
// the Responses API over it (Codex), each response turned into the record commands of one row.
// Pure: bytes in, record commands out; the relay never waits on it.

import { headerValue } from "../http/headers.ts";
import type { RawHeaders } from "../http/types.ts";
import { speaksResponsesOverWebSocket } from "../providers/index.ts";
import { ResponsesSocket, type TurnCommand } from "../providers/responses-ws.ts";
import { createWsReader, negotiatedDeflate, type WsEvent, type WsReader } from "../ws/reader.ts";
import type { RecordCommand } from "./exchange-events.ts";

/** The method a row of a response over a WebSocket carries: one message pair on a socket, not an HTTP request. */
export const WS_METHOD = "WS";

export type WsSide = "client" | "server";

export class WebSocketTap {
  private readonly readers: Record<WsSide, WsReader>;
  private readonly socket = new ResponsesSocket();
  /** Once either direction cannot be read any more, nothing more is: a response's rows would be guesses. */
  private lost = false;

  /** A tap when the 101 switched to a WebSocket on an endpoint that carries responses; else null. */
  static for(host: string, target: string, requestHeaders: RawHeaders, responseHeaders: RawHeaders): WebSocketTap | null {
    const upgrade = (h: RawHeaders) => headerValue(h, "upgrade")?.trim().toLowerCase() === "websocket";
    if (!upgrade(requestHeaders) || !upgrade(responseHeaders)) return null;
    if (!speaksResponsesOverWebSocket(host, target)) return null;
    return new WebSocketTap(negotiatedDeflate(headerValue(responseHeaders, "sec-websocket-extensions")));
  }

  private constructor(deflate: ReturnType<typeof negotiatedDeflate>) {
    this.readers = { client: createWsReader({ from: "client", deflate }), server: createWsReader({ from: "server", deflate }) };
  }

  bytes(side: WsSide, chunk: Uint8Array): RecordCommand[] {
    if (this.lost) return [];
    return this.events(side, this.readers[side].push(chunk));
  }

  /** The relay is over: a response still open was cut. */
  closed(): RecordCommand[] {
    const out: RecordCommand[] = [];
    for (const side of ["client", "server"] as const) if (!this.lost) out.push(...this.events(side, this.readers[side].end()));
    return [...out, ...this.turns(this.socket.ended("the connection closed mid-response"))];
  }

  private events(side: WsSide, events: WsEvent[]): RecordCommand[] {
    const out: RecordCommand[] = [];
    for (const ev of events) {
      if (this.lost) break;
      switch (ev.kind) {
        case "message":
          if (ev.opcode === "text") out.push(...this.turns(side === "client" ? this.socket.client(ev.data) : this.socket.server(ev.data)));
          break;
        case "close":
          out.push(...this.turns(this.socket.ended(`the WebSocket was closed by the ${side} mid-response${ev.code ? ` (${ev.code})` : ""}`)));
          break;
        case "skipped":
          if (ev.reason !== "too-large") this.lose(out, `a ${side} message could not be read (${ev.reason})`);
          break;
        case "invalid":
          this.lose(out, `the ${side}'s WebSocket stream could not be read (${ev.reason})`);
          break;
        case "truncated":
          out.push(...this.turns(this.socket.ended(`the ${side}'s last WebSocket frame was cut`)));
          break;
      }
    }
    return out;
  }

  private lose(out: RecordCommand[], why: string): void {
    this.lost = true;
    out.push(...this.turns(this.socket.ended(why)));
  }

  private turns(commands: TurnCommand[]): RecordCommand[] {
    return commands.flatMap((c): RecordCommand[] => {
      switch (c.do) {
        case "begin":
          return [{ do: "begin-turn", request: c.request }];
        case "event":
          return [{ do: "turn-event", event: c.data }];
        case "rate-limits":
          return [{ do: "rate-limits", snapshot: c.snapshot }];
        case "finish":
          return [...(c.status === null ? [] : [{ do: "status", status: c.status } as const]), { do: "finish", complete: c.complete, error: c.error }];
      }
    });
  }
}
