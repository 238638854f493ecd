// Transcripts of the exchange machine: events go in, the commands come back as short lines
// ("send upstream \"GET / ...\"", "finish complete", "end client"), so a test reads as the
// protocol does. No sockets, no timers, no clock.

import { ExchangeMachine } from "../../core/mitm/exchange.ts";
import type { ExchangeCommand, ExchangeConfig, ExchangeEvent, Side } from "../../core/mitm/exchange-events.ts";

export const CONFIG: ExchangeConfig = { host: "api.anthropic.com", headTimeoutMs: 1000, idleTimeoutMs: 5000, inbufCap: 64 };

const text = (b: Uint8Array) => JSON.stringify(Buffer.from(b).toString("latin1"));
const joined = (parts: Uint8Array[]) => text(Buffer.concat(parts));

export function line(c: ExchangeCommand): string {
  switch (c.do) {
    case "send":
      return `send ${c.to} ${text(c.bytes)}`;
    case "pause":
    case "resume":
      return `${c.do} ${c.side}`;
    case "acquire":
      return `acquire ${c.n}`;
    case "release":
    case "discard":
    case "first-byte":
      return c.do;
    case "set-timer":
      return `timer ${c.name} ${c.ms}`;
    case "clear-timer":
      return `clear ${c.name}`;
    case "splice":
      return `splice client ${text(c.toClient)} upstream ${text(c.toUpstream)}`;
    case "end-client":
      return "end client";
    case "log":
      return `log ${c.event}`;
    case "begin":
      return `begin ${c.n} ${c.head.method} ${c.head.target}`;
    case "self-test":
      return `self-test ${c.n} ${c.status}`;
    case "request-body":
    case "response-body":
      return `${c.do} ${joined(c.payload)}`;
    case "response-head":
      return `response-head ${c.status}`;
    case "status":
      return `status ${c.status}`;
    case "upgraded":
      return `upgraded ${c.headers.map(([k, v]) => `${k}: ${v}`).join(", ")}`;
    case "begin-turn":
      return `begin-turn ${text(c.request)}`;
    case "turn-event":
      return `turn-event ${text(c.event)}`;
    case "rate-limits":
      return `rate-limits ${JSON.stringify(c.snapshot)}`;
    case "finish":
      return c.complete ? "finish complete" : `finish incomplete: ${c.error}`;
  }
}

export class Playbook {
  readonly machine: ExchangeMachine;
  /** Every command so far, raw, for the tests that look at fields. */
  readonly raw: ExchangeCommand[] = [];
  readonly opening: string[];

  constructor(config: Partial<ExchangeConfig> = {}) {
    this.machine = new ExchangeMachine({ ...CONFIG, ...config });
    this.opening = this.record(this.machine.start());
  }

  private record(cs: ExchangeCommand[]): string[] {
    this.raw.push(...cs);
    return cs.map(line);
  }

  on(ev: ExchangeEvent): string[] {
    return this.record(this.machine.handle(ev));
  }

  client(bytes: string | Uint8Array): string[] {
    return this.on({ kind: "data", side: "client", bytes: typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes });
  }

  upstream(bytes: string | Uint8Array): string[] {
    return this.on({ kind: "data", side: "upstream", bytes: typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes });
  }

  fin(side: Side): string[] {
    return this.on({ kind: "end", side });
  }

  close(side: Side): string[] {
    return this.on({ kind: "close", side });
  }

  ready(n: number): string[] {
    return this.on({ kind: "upstream-ready", n });
  }

  timer(name: "request" | "grace"): string[] {
    return this.on({ kind: "timer", name });
  }

  /** The bytes of every `send` to one side so far, in order. */
  sent(to: Side): string {
    return this.raw.flatMap((c) => (c.do === "send" && c.to === to ? [Buffer.from(c.bytes).toString("latin1")] : [])).join("");
  }
}

/** The machine with its first request in flight: head read, upstream ready, head sent. */
export function exchanging(head: string, config: Partial<ExchangeConfig> = {}): Playbook {
  const p = new Playbook(config);
  p.client(head);
  p.ready(1);
  return p;
}

export const GET = "GET /v1/models HTTP/1.1\r\nHost: api.anthropic.com\r\n\r\n";
export const post = (body: string, extra = "") => `POST /v1/messages HTTP/1.1\r\nHost: api.anthropic.com\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
export const ok = (body: string, extra = "") => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
export const q = (s: string) => JSON.stringify(s);
