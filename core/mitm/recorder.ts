// The rows of one connection's exchanges, built from the exchange machine's record commands:
// the clock and the ids live here, and so do the adapter's observer and the body capture, each
// fed copies after the client has its bytes and each allowed to fail alone.

import { randomUUID } from "node:crypto";
import { BodyCapture } from "../capture/bodies.ts";
import type { RawHeaders } from "../http/types.ts";
import type { EventLog } from "../log/jsonl.ts";
import type { ExchangeObserver, ExchangeRecord } from "../usage/types.ts";
import type { SpliceTap } from "../proxy/sockets.ts";
import type { RecordCommand } from "./exchange-events.ts";
import { WS_METHOD, WebSocketTap } from "./ws-tap.ts";

export interface SessionHooks {
  onExchange(record: ExchangeRecord): void;
  /** Keep request and response bodies (each capped at maxBytes); null: keep none. */
  bodyCapture: { maxBytes: number } | null;
}

export interface RecorderDeps {
  host: string;
  log: EventLog;
  now: () => number;
  observe(head: { host: string; method: string; target: string; requestHeaders: RawHeaders }): ExchangeObserver | null;
  /** What depends on who the client is; it comes once attribution answers (or its deadline passes). */
  hooks: Promise<SessionHooks>;
  /** The body-capture cap, used to keep bodies provisionally while the hooks are not in yet. */
  bodyMaxBytes: number;
  /** Exchange ids; random by default. */
  newId?: () => string;
}

interface Open {
  record: ExchangeRecord;
  /** The request head as sent: a WebSocket's responses keep their upgrade's for body capture. */
  headBytes: Uint8Array;
  observer: ExchangeObserver | null;
  bodies: BodyCapture | null;
}

/** Each event of a response over a WebSocket reaches the adapter framed as the SSE event it would have been. */
const SSE_HEAD: RawHeaders = [["content-type", "text/event-stream"]];
const DATA = Buffer.from("data: ");
const EVENT_END = Buffer.from("\n\n");
const EMPTY = new Uint8Array(0);

/** A message as one SSE event's data: a line break inside it (pretty-printed JSON) starts another `data:` line, which SSE joins back with "\n". */
function sseData(message: Uint8Array): Uint8Array {
  if (!message.includes(0x0a) && !message.includes(0x0d)) return message;
  return Buffer.from(Buffer.from(message).toString("utf8").replace(/\r\n|\r|\n/g, "\ndata: "));
}

export class Recorder {
  private open: Open | null = null;
  private hooks: SessionHooks | null = null;
  /** After a 101: the request that upgraded, whose target and headers every response on the socket shares. */
  private upgrade: { target: string; headers: RawHeaders; headBytes: Uint8Array; tap: WebSocketTap | null } | null = null;
  /** Codex's latest in-stream limits snapshot and when it came, for the next row finished. */
  private rateLimits: { snapshot: Record<string, unknown>; at: number } | null = null;

  constructor(private readonly deps: RecorderDeps) {
    deps.hooks.then(
      (h) => void (this.hooks = h),
      (err) => deps.log.event("capture.error", { host: deps.host, reason: `attribution failed: ${(err as Error).message}` }, "error"),
    );
  }

  /** The id of the exchange under way, for the log lines about it. */
  get currentId(): string | null {
    return this.open?.record.exchangeId ?? null;
  }

  /**
   * After `upgraded`: a tap for the relay that reads the WebSocket's messages into rows, or null
   * when the connection carries nothing we meter. It never throws: a failure costs the rows.
   */
  spliceTap(): SpliceTap | null {
    let tap = this.upgrade?.tap ?? null;
    if (!tap) return null;
    const run = (step: (t: WebSocketTap) => RecordCommand[]) => {
      if (!tap) return;
      try {
        for (const c of step(tap)) this.apply(c);
      } catch (err) {
        tap = null;
        const reason = `WebSocket capture failed: ${(err as Error).message}`;
        this.deps.log.event("capture.error", { host: this.deps.host, reason }, "error");
        this.finish(false, reason);
      }
    };
    return {
      bytes: (direction, chunk) => chunk.length > 0 && run((t) => t.bytes(direction === "up" ? "client" : "server", chunk)),
      closed: () => run((t) => t.closed()),
    };
  }

  apply(c: RecordCommand): void {
    switch (c.do) {
      case "begin":
        return this.begin(c.head.method, c.head.target, c.head.headers, c.headBytes);
      case "upgraded":
        return this.upgraded(c.headers);
      case "begin-turn":
        return this.beginTurn(c.request);
      case "turn-event":
        if (!this.open) return;
        this.open.record.firstByteAt ??= this.deps.now();
        for (const p of [DATA, sseData(c.event), EVENT_END]) {
          this.tee((o) => o.onResponseBody(p));
          this.keep((b) => b.onResponseBody(p));
        }
        return;
      case "rate-limits":
        this.rateLimits = { snapshot: c.snapshot, at: this.deps.now() };
        return;
      case "self-test": {
        const record = this.newRecord(c.head.method, c.head.target, c.head.headers);
        record.selfTest = true;
        record.status = c.status;
        record.firstByteAt = record.startedAt;
        this.open = { record, headBytes: EMPTY, observer: null, bodies: null };
        return this.deps.log.event("intercept.self_test", { id: record.exchangeId, host: record.host, status: c.status });
      }
      case "first-byte":
        if (this.open) this.open.record.firstByteAt ??= this.deps.now();
        return;
      case "status":
        if (this.open) this.open.record.status = c.status;
        return;
      case "request-body":
        for (const p of c.payload) {
          this.tee((o) => o.onRequestBody(p));
          this.keep((b) => b.onRequestBody(p));
        }
        return;
      case "response-head": {
        const { status, headers, headBytes } = c;
        if (this.open) {
          this.open.record.status = status;
          this.open.record.responseHeaders = headers;
        }
        this.tee((o) => o.onResponseHead({ status, headers }));
        this.keep((b) => b.onResponseHead(headBytes, headers));
        return;
      }
      case "response-body":
        for (const p of c.payload) {
          this.tee((o) => o.onResponseBody(p));
          this.keep((b) => b.onResponseBody(p));
        }
        return;
      case "finish":
        return this.finish(c.complete, c.error);
    }
  }

  private newRecord(method: string, target: string, requestHeaders: RawHeaders): ExchangeRecord {
    return {
      exchangeId: (this.deps.newId ?? randomUUID)(),
      host: this.deps.host,
      method,
      target,
      requestHeaders,
      startedAt: this.deps.now(),
      firstByteAt: null,
      endedAt: 0,
      status: null,
      complete: false,
      usage: null,
      error: null,
      bodies: null,
    };
  }

  /** `observeAs`: the method the adapter reads the exchange as (a response over a WebSocket is read as the POST it stands for). */
  private begin(method: string, target: string, headers: RawHeaders, headBytes: Uint8Array, observeAs = method): void {
    const { host } = this.deps;
    const record = this.newRecord(method, target, headers);
    let observer: ExchangeObserver | null = null;
    try {
      observer = this.deps.observe({ host, method: observeAs, target, requestHeaders: headers });
    } catch (err) {
      record.error = `observer failed: ${(err as Error).message}`;
    }
    // Before the hooks are in, bodies are kept on the chance that this client's .haltonrc asks for them.
    const capture = this.hooks ? this.hooks.bodyCapture : { maxBytes: this.deps.bodyMaxBytes };
    const bodies = capture ? new BodyCapture(capture.maxBytes, headBytes, headers) : null;
    this.open = { record, headBytes, observer, bodies };
    this.deps.log.event("intercept.start", { id: record.exchangeId, host, method, path: target.split("?")[0] });
  }

  private upgraded(responseHeaders: RawHeaders): void {
    const open = this.open;
    if (!open) return;
    const { target, requestHeaders } = open.record;
    open.record.responseHeaders = responseHeaders;
    let tap: WebSocketTap | null = null;
    try {
      tap = WebSocketTap.for(this.deps.host, target, requestHeaders, responseHeaders);
    } catch (err) {
      open.record.error ??= `WebSocket capture failed: ${(err as Error).message}`;
    }
    this.upgrade = { target, headers: requestHeaders, headBytes: open.headBytes, tap };
  }

  /** A response over the WebSocket: its own row, read by the endpoint's adapter as if it had been a streamed POST. */
  private beginTurn(request: Uint8Array): void {
    const up = this.upgrade;
    if (!up) return;
    this.begin(WS_METHOD, up.target, up.headers, up.headBytes, "POST");
    this.tee((o) => o.onRequestBody(request));
    this.keep((b) => b.onRequestBody(request));
    this.tee((o) => o.onResponseHead({ status: 200, headers: SSE_HEAD }));
    this.keep((b) => b.onResponseHead(EMPTY, SSE_HEAD));
  }

  private finish(complete: boolean, error: string | null): void {
    const open = this.open;
    if (!open) return;
    this.open = null;
    const rec = open.record;
    rec.error ??= error;
    rec.endedAt = this.deps.now();
    rec.complete = complete;
    if (this.rateLimits) {
      rec.rateLimits = this.rateLimits.snapshot;
      rec.rateLimitsAt = this.rateLimits.at;
      this.rateLimits = null;
    }
    if (open.observer) {
      try {
        rec.usage = open.observer.finish(complete);
      } catch (err) {
        rec.error ??= `adapter failed: ${(err as Error).message}`;
      }
    }
    if (open.bodies) {
      try {
        rec.bodies = open.bodies.finish();
      } catch (err) {
        rec.error ??= `body capture failed: ${(err as Error).message}`;
      }
    }
    this.deps.log.event("intercept.complete", { id: rec.exchangeId, host: rec.host, status: rec.status, complete, ms: rec.endedAt - rec.startedAt, error: rec.error ?? undefined });
    if (this.hooks) this.deliver(this.hooks, rec);
    else void this.deps.hooks.then((h) => this.deliver(h, rec));
  }

  private deliver(hooks: SessionHooks, rec: ExchangeRecord): void {
    if (!hooks.bodyCapture) rec.bodies = null;
    try {
      hooks.onExchange(rec);
    } catch (err) {
      this.deps.log.event("capture.error", { id: rec.exchangeId, reason: (err as Error).message }, "error");
    }
  }

  /** The observer sees a copy after the client has its bytes; whatever it does stays its problem. */
  private tee(fn: (o: ExchangeObserver) => void): void {
    const open = this.open;
    if (!open?.observer) return;
    try {
      fn(open.observer);
    } catch (err) {
      open.observer = null;
      open.record.error ??= `adapter failed: ${(err as Error).message}`;
    }
  }

  /** Body capture, like the observer, sees copies and may fail without touching the client's bytes. */
  private keep(fn: (b: BodyCapture) => void): void {
    const open = this.open;
    if (!open?.bodies) return;
    try {
      fn(open.bodies);
    } catch (err) {
      open.bodies = null;
      open.record.error ??= `body capture failed: ${(err as Error).message}`;
    }
  }
}
