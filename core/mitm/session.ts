// One decrypted client connection: HTTP/1.1 exchanges, one at a time, relayed to a pooled
// upstream connection. Header bytes are forwarded exactly as received; bodies are framed
// (length, chunked, until close) only to know where a message ends, and teed to an observer
// after the client already has them.

import { randomUUID } from "node:crypto";
import { BodyCapture } from "../capture/bodies.ts";
import type { RawHeaders } from "../http/types.ts";
import type { ExchangeObserver, ExchangeRecord } from "../usage/types.ts";
import type { EventLog } from "../log/jsonl.ts";
import { BodyTracker, keepsAlive, requestFraming, responseFraming } from "../proxy/framing.ts";
import { MAX_HEAD_BYTES, parseRequestHead, parseResponseHead, type RequestHead, type ResponseHead } from "../proxy/head.ts";
import { Outbox } from "../proxy/outbox.ts";
import { plainResponse } from "../proxy/response.ts";
import { type Sock, splice } from "../proxy/sockets.ts";
import { selfTestRequest, selfTestResponse } from "./self-test.ts";
import type { UpstreamConn, UpstreamPool } from "./upstream.ts";

export interface SessionDeps {
  host: string;
  port: number;
  pool: UpstreamPool;
  log: EventLog;
  now: () => number;
  observe(head: { host: string; method: string; target: string; requestHeaders: RawHeaders }): ExchangeObserver | null;
  /** What depends on who the client is; it comes once attribution answers (or its deadline passes). */
  hooks: Promise<SessionHooks>;
  /**
   * Settles once the calling process is known (or its deadline passed). The first request waits
   * for it before going upstream: a client that had its answer might exit before /proc was read.
   */
  ready: Promise<unknown>;
  /** The body-capture cap, used to keep bodies provisionally while the hooks are not in yet. */
  bodyMaxBytes: number;
  /** A request head (the first one counted from the handshake) must be complete within this. */
  headTimeoutMs: number;
  /** A keep-alive connection idle between requests is closed after this. */
  idleTimeoutMs: number;
}

export interface SessionHooks {
  onExchange(record: ExchangeRecord): void;
  /** Keep request and response bodies (each capped at maxBytes); null: keep none. */
  bodyCapture: { maxBytes: number } | null;
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
  bodies: BodyCapture | null;
}

const INBUF_CAP = 1024 * 1024;

export class MitmSession {
  private inbuf: Buffer = Buffer.alloc(0);
  private ex: Exchange | null = null;
  private readonly out: Outbox;
  private closed = false;
  private endAfterFlush = false;
  /** No further request will be read: the peer half-closed, or we are shutting down. */
  private clientEnded = false;
  /** The peer sent its FIN: a request body still owed can never arrive. */
  private peerEnded = false;
  private waiting: { timer: ReturnType<typeof setTimeout>; forHead: boolean } | null = null;
  /** Exchanges finished on this connection. */
  private served = 0;
  private hooks: SessionHooks | null = null;

  constructor(
    private readonly client: Sock,
    private readonly deps: SessionDeps,
  ) {
    this.out = new Outbox((d) => client.write(d));
    deps.hooks.then(
      (h) => void (this.hooks = h),
      (err) => deps.log.event("capture.error", { host: deps.host, reason: `attribution failed: ${(err as Error).message}` }, "error"),
    );
    client.data.on = {
      data: (d) => this.onClientData(d),
      drain: () => this.onClientDrain(),
      // A client that half-closes still gets the answer to what it already sent.
      end: () => {
        this.clientEnded = true;
        this.peerEnded = true;
        if (!this.ex) this.endClient();
        else this.endIfBodyCutShort();
      },
      close: () => this.onClientGone(),
    };
    this.awaitRequest();
  }

  /**
   * Between exchanges, a connection waits for its next request head: the first for at most the
   * head timeout (a client that finished TLS and says nothing is not a client), later ones for
   * the longer keep-alive idle time, and a head once begun for the head timeout again.
   */
  private awaitRequest(): void {
    const forHead = this.served === 0 || this.inbuf.length > 0;
    if (this.waiting?.forHead === forHead) return;
    this.stopWaiting();
    const ms = forHead ? this.deps.headTimeoutMs : this.deps.idleTimeoutMs;
    const timer = setTimeout(() => {
      this.waiting = null;
      if (this.ex || this.closed) return;
      this.deps.log.event("intercept.client_timeout", { host: this.deps.host, served: this.served, partial_head: this.inbuf.length > 0, ms });
      // Silence gets a silent close, as an idle keep-alive connection expects; half a head gets a 408.
      if (this.inbuf.length > 0) this.reject(408, `no complete request head within ${ms} ms`);
      else this.endClient();
    }, ms);
    timer.unref();
    this.waiting = { timer, forHead };
  }

  private stopWaiting(): void {
    if (!this.waiting) return;
    clearTimeout(this.waiting.timer);
    this.waiting = null;
  }

  /** The client sent FIN with part of its request body: nothing can finish that request now. */
  private endIfBodyCutShort(): void {
    const ex = this.ex;
    // Until the upstream is open the body waits unread in `inbuf`; pump decides after it feeds it.
    if (!this.peerEnded || !ex?.upstream || ex.reqBody.done) return;
    ex.record.error ??= "client closed the connection mid-request-body";
    this.finish(false);
  }

  private onClientData(d: Buffer): void {
    // Bun hands every data callback a fresh buffer (tests/proxy/fresh-buffers.test.ts pins it): no copy.
    this.inbuf = this.inbuf.length ? Buffer.concat([this.inbuf, d]) : d;
    this.pump();
  }

  private onClientDrain(): void {
    if (!this.out.flush()) return;
    if (this.endAfterFlush) return this.endClient();
    this.ex?.upstream?.socket.resume();
  }

  /** Moves client bytes along: a new request head, or the current request's body. */
  /** `lead`: the request head, written upstream together with the body bytes already here. */
  private pump(lead?: Uint8Array): void {
    if (this.closed) return;
    const ex = this.ex;
    if (!ex) {
      if (this.inbuf.length === 0) return;
      const parsed = parseRequestHead(this.inbuf, MAX_HEAD_BYTES);
      if (parsed.kind === "incomplete") return this.awaitRequest();
      if (parsed.kind === "invalid") return this.reject(parsed.status, parsed.reason);
      const framing = requestFraming(parsed.head.headers);
      if (!framing.ok) return this.reject(400, framing.reason);
      const headBytes = this.inbuf.subarray(0, parsed.length);
      this.inbuf = this.inbuf.subarray(parsed.length);
      this.stopWaiting();
      this.begin(parsed.head, headBytes, new BodyTracker(framing.framing));
      return;
    }
    if (!ex.upstream) {
      if (this.inbuf.length > INBUF_CAP) this.client.pause();
      return;
    }
    // Head and body in one write: one TLS record and one wake-up of the upstream instead of two.
    let out = lead;
    let payload: Uint8Array[] = [];
    if (!ex.reqBody.done && this.inbuf.length) {
      const r = ex.reqBody.feed(this.inbuf);
      if (r.kind === "invalid") return this.reject(400, r.reason);
      const body = this.inbuf.subarray(0, r.consumed);
      this.inbuf = this.inbuf.subarray(r.consumed);
      out = out ? Buffer.concat([out, body]) : body;
      payload = r.payload;
    }
    if (out && !ex.upstream.out.send(out)) this.client.pause();
    for (const p of payload) {
      this.tee((o) => o.onRequestBody(p));
      this.keep((b) => b.onRequestBody(p));
    }
    // A pipelined next request waits until this exchange is over.
    if (ex.reqBody.done && this.inbuf.length > INBUF_CAP) this.client.pause();
    this.endIfBodyCutShort();
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
      bodies: null,
    };
    const canary = selfTestRequest(head.target);
    if (canary) return this.answerSelfTest(head, reqBody, record, canary.nonce);
    let observer: ExchangeObserver | null = null;
    try {
      observer = this.deps.observe({ host, method: head.method, target: head.target, requestHeaders: head.headers });
    } catch (err) {
      record.error = `observer failed: ${(err as Error).message}`;
    }
    // Before the hooks are in, bodies are kept on the chance that this client's .haltonrc asks for them.
    const capture = this.hooks ? this.hooks.bodyCapture : { maxBytes: this.deps.bodyMaxBytes };
    const bodies = capture ? new BodyCapture(capture.maxBytes, headBytes, head.headers) : null;
    const ex: Exchange = { record, head, reqBody, upstream: null, respBuf: Buffer.alloc(0), respBody: null, respKeepAlive: false, sentToClient: false, observer, bodies };
    this.ex = ex;
    this.deps.log.event("intercept.start", { id: record.exchangeId, host, method: head.method, path: head.target.split("?")[0] });
    const copy = Buffer.from(headBytes);
    // The upstream is taken only once the caller is known: a pooled connection taken earlier would
    // sit with nobody listening while the lookup runs, and a provider closing it then would leave
    // this exchange waiting for good.
    this.deps.ready.then(() => this.deps.pool.acquire(host, port)).then((got) => {
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
      this.client.resume();
      this.pump(copy);
    });
  }

  /** The canary never goes upstream: answer it here, record it, close. */
  private answerSelfTest(head: RequestHead, reqBody: BodyTracker, record: ExchangeRecord, nonce: string | null): void {
    const answer = selfTestResponse(head.method, nonce);
    record.selfTest = true;
    record.status = answer.status;
    record.firstByteAt = this.deps.now();
    this.ex = { record, head, reqBody, upstream: null, respBuf: Buffer.alloc(0), respBody: null, respKeepAlive: false, sentToClient: true, observer: null, bodies: null };
    this.deps.log.event("intercept.self_test", { id: record.exchangeId, host: record.host, status: answer.status });
    this.out.send(answer.bytes);
    this.finish(true);
  }

  private onUpstreamData(ex: Exchange, d: Buffer): void {
    if (this.ex !== ex) return;
    // The final head goes to the client in one write with the body bytes that came with it:
    // one TLS record and one wake-up of the client (and of the edge in between) instead of two.
    let head: { whole: Buffer; length: number; parsed: ResponseHead } | null = null;
    if (!ex.respBody) {
      ex.respBuf = ex.respBuf.length ? Buffer.concat([ex.respBuf, d]) : d;
      for (;;) {
        const parsed = parseResponseHead(ex.respBuf);
        if (parsed.kind === "incomplete") return;
        if (parsed.kind === "invalid") {
          ex.record.error = parsed.reason;
          if (!ex.sentToClient) this.respond(502, `Halton Meter: ${ex.record.host} sent ${parsed.reason}`);
          return this.finish(false);
        }
        const status = parsed.head.status;
        const whole = ex.respBuf;
        const headBytes = whole.subarray(0, parsed.length);
        ex.respBuf = whole.subarray(parsed.length);
        ex.record.firstByteAt ??= this.deps.now();
        if (status === 101) return this.upgrade(ex, headBytes);
        if (status >= 100 && status < 200) {
          this.toClient(ex, headBytes);
          continue; // 100 Continue and friends: the final head follows
        }
        const framing = responseFraming(ex.head.method, status, parsed.head.headers);
        if (!framing.ok) {
          this.toClient(ex, headBytes);
          ex.record.error = framing.reason;
          return this.finish(false);
        }
        ex.record.status = status;
        ex.respKeepAlive = framing.framing.kind !== "close" && keepsAlive(parsed.head.version, parsed.head.headers);
        ex.respBody = new BodyTracker(framing.framing);
        head = { whole, length: parsed.length, parsed: parsed.head };
        d = ex.respBuf;
        ex.respBuf = Buffer.alloc(0);
        break;
      }
    }
    const r = ex.respBody.feed(d);
    if (r.kind === "invalid") {
      if (head) this.toClient(ex, head.whole.subarray(0, head.length));
      ex.record.error = `upstream body: ${r.reason}`;
      return this.finish(false);
    }
    // `whole` holds the head and then `d`: one subarray is the head plus the body bytes consumed.
    if (head) this.toClient(ex, head.whole.subarray(0, head.length + r.consumed));
    else if (r.consumed) this.toClient(ex, d.subarray(0, r.consumed));
    if (head) {
      const { status, headers } = head.parsed;
      const headBytes = head.whole.subarray(0, head.length);
      this.tee((o) => o.onResponseHead({ status, headers }));
      this.keep((b) => b.onResponseHead(headBytes, headers));
    }
    for (const p of r.payload) {
      this.tee((o) => o.onResponseBody(p));
      this.keep((b) => b.onResponseBody(p));
    }
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
    this.served++;
    this.record(ex, complete);
    const up = ex.upstream;
    const reusable = complete && ex.respKeepAlive && ex.reqBody.done && keepsAlive(ex.head.version, ex.head.headers);
    if (up) {
      if (reusable && !this.closed) this.deps.pool.release(up);
      else this.deps.pool.destroy(up);
    }
    if (!complete || !reusable || this.clientEnded) return this.endClient();
    this.client.resume();
    this.awaitRequest();
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
    if (ex.bodies) {
      try {
        rec.bodies = ex.bodies.finish();
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
    const ex = this.ex;
    if (!ex?.observer) return;
    try {
      fn(ex.observer);
    } catch (err) {
      ex.observer = null;
      ex.record.error ??= `adapter failed: ${(err as Error).message}`;
    }
  }

  /** Body capture, like the observer, sees copies and may fail without touching the client's bytes. */
  private keep(fn: (b: BodyCapture) => void): void {
    const ex = this.ex;
    if (!ex?.bodies) return;
    try {
      fn(ex.bodies);
    } catch (err) {
      ex.bodies = null;
      ex.record.error ??= `body capture failed: ${(err as Error).message}`;
    }
  }

  /** Refuses what the client sent; an exchange under way ends here with the reason in its row. */
  private reject(status: number, reason: string): void {
    const ex = this.ex;
    if (!ex?.sentToClient) this.respond(status, reason);
    if (!ex) return this.endClient();
    ex.record.error ??= reason;
    this.finish(false);
  }

  private respond(status: number, reason: string): void {
    this.out.send(Buffer.from(plainResponse(status, reason, "daemon")));
  }

  /** Ends the client connection once our bytes are out; after that the session is done. */
  private endClient(): void {
    this.stopWaiting();
    this.inbuf = Buffer.alloc(0);
    if (this.out.pending > 0) return void (this.endAfterFlush = true);
    this.client.end();
    // A peer that never answers our FIN must not keep the session (and a shutdown) waiting.
    this.closed = true;
  }

  /**
   * Shutting down: a connection idle between requests ends now, a busy one after its exchange.
   * One that has not sent its first request yet is owed that request (for up to `firstRequestMs`):
   * its client was just told "200" and finished TLS, and cutting it now would fail a request that
   * the edge can no longer replay elsewhere.
   */
  drain(firstRequestMs = 5000): void {
    this.clientEnded = true;
    if (this.ex) return;
    if (this.served > 0) return this.endClient();
    setTimeout(() => {
      if (!this.ex && !this.closed) this.endClient();
    }, firstRequestMs).unref();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onClientGone(): void {
    this.stopWaiting();
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
