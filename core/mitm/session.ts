// One decrypted client connection: HTTP/1.1 exchanges, one at a time, relayed to a pooled
// upstream connection. Header bytes are forwarded exactly as received; bodies are framed
// (length, chunked, until close) only to know where a message ends, and teed to an observer
// after the client already has them.

import { randomUUID } from "node:crypto";
import type { ExchangeObserver, RawHeaders, UsageResult } from "../capture/types.ts";
import type { EventLog } from "../log/jsonl.ts";
import { BodyTracker, keepsAlive, requestFraming, responseFraming } from "../proxy/framing.ts";
import { MAX_HEAD_BYTES, parseRequestHead, parseResponseHead, type RequestHead } from "../proxy/head.ts";
import { Outbox } from "../proxy/outbox.ts";
import { plainResponse } from "../proxy/response.ts";
import { type Sock, splice } from "../proxy/sockets.ts";
import type { UpstreamConn, UpstreamPool } from "./upstream.ts";

export interface ExchangeRecord {
  exchangeId: string;
  host: string;
  method: string;
  target: string;
  requestHeaders: RawHeaders;
  startedAt: number;
  firstByteAt: number | null;
  endedAt: number;
  status: number | null;
  /** The response body was framed to its end. */
  complete: boolean;
  usage: UsageResult | null;
  error: string | null;
}

export interface SessionDeps {
  host: string;
  port: number;
  pool: UpstreamPool;
  log: EventLog;
  now: () => number;
  observe(head: { host: string; method: string; target: string; requestHeaders: RawHeaders }): ExchangeObserver | null;
  onExchange(record: ExchangeRecord): void;
}

interface Exchange {
  record: ExchangeRecord;
  head: RequestHead;
  reqBody: BodyTracker;
  upstream: UpstreamConn | null;
  respBuf: Buffer;
  respBody: BodyTracker | null;
  respKeepAlive: boolean;
  sentToClient: boolean;
  observer: ExchangeObserver | null;
}

const INBUF_CAP = 1024 * 1024;

export class MitmSession {
  private inbuf = Buffer.alloc(0);
  private ex: Exchange | null = null;
  private readonly out: Outbox;
  private closed = false;
  private endAfterFlush = false;
  private clientEnded = false;

  constructor(
    private readonly client: Sock,
    private readonly deps: SessionDeps,
  ) {
    this.out = new Outbox((d) => client.write(d));
    client.data.on = {
      data: (d) => this.onClientData(d),
      drain: () => this.onClientDrain(),
      // A client that half-closes still gets the answer to what it already sent.
      end: () => {
        this.clientEnded = true;
        if (!this.ex) this.endClient();
      },
      close: () => this.onClientGone(),
    };
  }

  private onClientData(d: Buffer): void {
    this.inbuf = this.inbuf.length ? Buffer.concat([this.inbuf, d]) : Buffer.from(d);
    this.pump();
  }

  private onClientDrain(): void {
    if (!this.out.flush()) return;
    if (this.endAfterFlush) return this.endClient();
    this.ex?.upstream?.socket.resume();
  }

  /** Moves client bytes along: a new request head, or the current request's body. */
  private pump(): void {
    if (this.closed) return;
    const ex = this.ex;
    if (!ex) {
      if (this.inbuf.length === 0) return;
      const parsed = parseRequestHead(this.inbuf, MAX_HEAD_BYTES);
      if (parsed.kind === "incomplete") return;
      if (parsed.kind === "invalid") return this.reject(parsed.status, parsed.reason);
      const framing = requestFraming(parsed.head.headers);
      if (!framing.ok) return this.reject(400, framing.reason);
      const headBytes = this.inbuf.subarray(0, parsed.length);
      this.inbuf = this.inbuf.subarray(parsed.length);
      this.begin(parsed.head, headBytes, new BodyTracker(framing.framing));
      return;
    }
    if (!ex.upstream) {
      if (this.inbuf.length > INBUF_CAP) this.client.pause();
      return;
    }
    if (!ex.reqBody.done && this.inbuf.length) {
      const r = ex.reqBody.feed(this.inbuf);
      if (r.kind === "invalid") return this.reject(400, r.reason);
      const body = this.inbuf.subarray(0, r.consumed);
      this.inbuf = this.inbuf.subarray(r.consumed);
      for (const p of r.payload) this.tee((o) => o.onRequestBody(p));
      if (!ex.upstream.out.send(body)) this.client.pause();
    }
    // A pipelined next request waits until this exchange is over.
    if (ex.reqBody.done && this.inbuf.length > INBUF_CAP) this.client.pause();
  }

  private begin(head: RequestHead, headBytes: Buffer, reqBody: BodyTracker): void {
    const { host, port, now } = this.deps;
    const record: ExchangeRecord = {
      exchangeId: randomUUID(),
      host,
      method: head.method,
      target: head.target,
      requestHeaders: head.headers,
      startedAt: now(),
      firstByteAt: null,
      endedAt: 0,
      status: null,
      complete: false,
      usage: null,
      error: null,
    };
    let observer: ExchangeObserver | null = null;
    try {
      observer = this.deps.observe({ host, method: head.method, target: head.target, requestHeaders: head.headers });
    } catch (err) {
      record.error = `observer failed: ${(err as Error).message}`;
    }
    const ex: Exchange = { record, head, reqBody, upstream: null, respBuf: Buffer.alloc(0), respBody: null, respKeepAlive: false, sentToClient: false, observer };
    this.ex = ex;
    this.deps.log.event("intercept.start", { id: record.exchangeId, host, method: head.method, path: head.target.split("?")[0] });
    const copy = Buffer.from(headBytes);
    this.deps.pool.acquire(host, port).then((got) => {
      if (this.ex !== ex || this.closed) return void (got.ok && this.deps.pool.release(got.conn));
      if (!got.ok) {
        record.error = got.reason;
        this.deps.log.event("intercept.upstream_failed", { id: record.exchangeId, host, kind: got.kind, reason: got.reason }, "warn");
        this.respond(502, `Halton Meter could not reach ${host}: ${got.reason}`);
        return this.finish(false);
      }
      ex.upstream = got.conn;
      const up = got.conn.socket;
      up.data.on = {
        data: (d) => this.onUpstreamData(ex, d),
        drain: () => got.conn.out.flush() && this.client.resume(),
        end: () => this.onUpstreamGone(ex),
        close: () => this.onUpstreamGone(ex),
      };
      got.conn.out.send(copy);
      this.client.resume();
      this.pump();
    });
  }

  private onUpstreamData(ex: Exchange, d: Buffer): void {
    if (this.ex !== ex) return;
    if (!ex.respBody) {
      ex.respBuf = ex.respBuf.length ? Buffer.concat([ex.respBuf, d]) : Buffer.from(d);
      for (;;) {
        const parsed = parseResponseHead(ex.respBuf);
        if (parsed.kind === "incomplete") return;
        if (parsed.kind === "invalid") {
          ex.record.error = parsed.reason;
          if (!ex.sentToClient) this.respond(502, `Halton Meter: ${ex.record.host} sent ${parsed.reason}`);
          return this.finish(false);
        }
        const status = parsed.head.status;
        const headBytes = ex.respBuf.subarray(0, parsed.length);
        ex.respBuf = ex.respBuf.subarray(parsed.length);
        ex.record.firstByteAt ??= this.deps.now();
        if (status === 101) return this.upgrade(ex, headBytes);
        this.toClient(ex, headBytes);
        if (status >= 100 && status < 200) continue; // 100 Continue and friends: the final head follows
        const framing = responseFraming(ex.head.method, status, parsed.head.headers);
        if (!framing.ok) {
          ex.record.error = framing.reason;
          return this.finish(false);
        }
        ex.record.status = status;
        ex.respKeepAlive = framing.framing.kind !== "close" && keepsAlive(parsed.head.version, parsed.head.headers);
        ex.respBody = new BodyTracker(framing.framing);
        this.tee((o) => o.onResponseHead({ status, headers: parsed.head.headers }));
        d = ex.respBuf;
        ex.respBuf = Buffer.alloc(0);
        break;
      }
    }
    const r = ex.respBody.feed(d);
    if (r.kind === "invalid") {
      ex.record.error = `upstream body: ${r.reason}`;
      return this.finish(false);
    }
    if (r.consumed) this.toClient(ex, d.subarray(0, r.consumed));
    for (const p of r.payload) this.tee((o) => o.onResponseBody(p));
    if (r.done) this.finish(true);
  }

  private toClient(ex: Exchange, bytes: Uint8Array): void {
    ex.sentToClient = true;
    if (!this.out.send(bytes)) ex.upstream?.socket.pause();
  }

  private onUpstreamGone(ex: Exchange): void {
    if (this.ex !== ex) return;
    if (ex.respBody?.framing.kind === "close") return this.finish(true);
    ex.record.error ??= ex.respBody ? "upstream closed mid-response" : "upstream closed before responding";
    if (!ex.sentToClient) this.respond(502, `Halton Meter: ${ex.record.host} closed the connection before responding`);
    this.finish(false);
  }

  /** 101 Switching Protocols: from here on both sides speak something else; splice them raw. */
  private upgrade(ex: Exchange, headBytes: Buffer): void {
    const up = ex.upstream!;
    ex.record.status = 101;
    ex.record.complete = true;
    this.out.send(headBytes);
    const rest = ex.respBuf;
    this.record(ex, true);
    this.ex = null;
    const sp = splice(this.client, up.socket, () => void (this.closed = true));
    if (rest.length) sp.down.push(rest);
    if (this.inbuf.length) sp.up.push(this.inbuf);
    this.inbuf = Buffer.alloc(0);
  }

  private finish(complete: boolean): void {
    const ex = this.ex;
    if (!ex) return;
    this.ex = null;
    this.record(ex, complete);
    const up = ex.upstream;
    const reusable = complete && ex.respKeepAlive && ex.reqBody.done && keepsAlive(ex.head.version, ex.head.headers);
    if (up) {
      if (reusable && !this.closed) this.deps.pool.release(up);
      else this.deps.pool.destroy(up);
    }
    if (!complete || !reusable || this.clientEnded) return this.endClient();
    this.client.resume();
    this.pump();
  }

  private record(ex: Exchange, complete: boolean): void {
    const rec = ex.record;
    rec.endedAt = this.deps.now();
    rec.complete = complete;
    if (ex.observer) {
      try {
        rec.usage = ex.observer.finish(complete);
      } catch (err) {
        rec.error ??= `adapter failed: ${(err as Error).message}`;
      }
    }
    this.deps.log.event("intercept.complete", { id: rec.exchangeId, host: rec.host, status: rec.status, complete, ms: rec.endedAt - rec.startedAt, error: rec.error ?? undefined });
    try {
      this.deps.onExchange(rec);
    } catch (err) {
      this.deps.log.event("capture.error", { id: rec.exchangeId, reason: (err as Error).message }, "error");
    }
  }

  /** The observer sees a copy after the client has its bytes; whatever it does stays its problem. */
  private tee(fn: (o: ExchangeObserver) => void): void {
    const ex = this.ex;
    if (!ex?.observer) return;
    try {
      fn(ex.observer);
    } catch (err) {
      ex.observer = null;
      ex.record.error ??= `adapter failed: ${(err as Error).message}`;
    }
  }

  private reject(status: number, reason: string): void {
    this.respond(status, reason);
    this.endClient();
  }

  private respond(status: number, reason: string): void {
    this.out.send(Buffer.from(plainResponse(status, reason, "daemon")));
  }

  /** Ends the client connection once our bytes are out; after that the session is done. */
  private endClient(): void {
    this.inbuf = Buffer.alloc(0);
    if (this.out.pending > 0) return void (this.endAfterFlush = true);
    this.client.end();
    // A peer that never answers our FIN must not keep the session (and a shutdown) waiting.
    this.closed = true;
  }

  /** Shutting down: an idle connection ends now, a busy one after its exchange. */
  drain(): void {
    this.clientEnded = true;
    if (!this.ex) this.endClient();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onClientGone(): void {
    if (this.closed) return;
    this.closed = true;
    const ex = this.ex;
    if (ex) {
      ex.record.error ??= "client closed the connection mid-exchange";
      this.finish(false);
    }
    this.client.end();
  }
}
