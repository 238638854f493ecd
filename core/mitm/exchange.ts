// One decrypted client connection as a pure state machine: HTTP/1.1 exchanges, one at a time,
// each relayed to an upstream connection. Events in (bytes, FIN, close, drain, timer, the pool's
// answer), commands out (send, pause, acquire, record, ...); no sockets, clock or ids in here.
// Header bytes are forwarded exactly as received; bodies are framed (length, chunked, until
// close) only to know where a message ends, and handed to the record after the peer has them.

import type { RawHeaders } from "../http/types.ts";
import { type BodyTracker, keepsAlive } from "../proxy/framing.ts";
import type { RequestHead } from "../proxy/head.ts";
import { plainResponse } from "../proxy/response.ts";
import { TLS_FAILED_EVENT } from "../tls/failure.ts";
import type { ExchangeCommand, ExchangeConfig, ExchangeEvent } from "./exchange-events.ts";
import { RequestReader } from "./request-reader.ts";
import { ResponseReader } from "./response-reader.ts";
import { selfTestRequest, selfTestResponse } from "./self-test.ts";

interface Exchange {
  n: number;
  head: RequestHead;
  /** The head's bytes, written upstream together with the body bytes already here. */
  headBytes: Uint8Array;
  reqBody: BodyTracker;
  error: string | null;
  sentToClient: boolean;
}

type State =
  /** Between exchanges; `timer` says which wait is armed (the head's, or keep-alive idle). */
  | { phase: "waiting"; timer: "head" | "idle" | null }
  /** A request head is in; its upstream is being acquired. */
  | { phase: "connecting"; ex: Exchange }
  | { phase: "exchanging"; ex: Exchange; resp: ResponseReader }
  /** After a 101 both sides speak something else and a raw relay owns them. */
  | { phase: "spliced" }
  | { phase: "closed" };

/** Whether another request may follow: `draining` is our shutdown, `ended` the client's FIN. */
type Input = "open" | "draining" | "ended";

export class ExchangeMachine {
  private state: State = { phase: "waiting", timer: null };
  private input: Input = "open";
  /** Client bytes not yet relayed: a head being read, a body waiting for its upstream, a pipelined request. */
  private readonly req: RequestReader;
  /** Exchanges begun and finished on this connection. */
  private begun = 0;
  private served = 0;
  private out: ExchangeCommand[] = [];

  constructor(private readonly cfg: ExchangeConfig) {
    this.req = new RequestReader(cfg.inbufCap);
  }

  get phase(): State["phase"] {
    return this.state.phase;
  }

  /** The connection is open (TLS done): the wait for its first request head begins. */
  start(): ExchangeCommand[] {
    this.awaitRequest();
    return this.out.splice(0);
  }

  handle(ev: ExchangeEvent): ExchangeCommand[] {
    const s = this.state;
    switch (ev.kind) {
      case "data":
        if (ev.side === "client") this.clientData(ev.bytes);
        else if (s.phase === "exchanging") this.upstreamData(s, ev.bytes);
        break;
      case "end":
      case "close":
        if (ev.side === "upstream") this.upstreamGone();
        else this.clientLeft(ev.kind === "close");
        break;
      case "backed-up":
      case "drained":
        // A side that cannot take more pauses the other's reads until its queue is out.
        if (s.phase === "exchanging") this.emit({ do: ev.kind === "drained" ? "resume" : "pause", side: ev.side === "client" ? "upstream" : "client" });
        break;
      case "upstream-ready":
        this.upstreamReady(ev.n);
        break;
      case "upstream-failed":
        if (s.phase !== "connecting" || s.ex.n !== ev.n) break;
        s.ex.error = ev.reason;
        if (ev.tls) this.emit({ do: "log", event: TLS_FAILED_EVENT, fields: { host: this.cfg.host, side: "upstream", kind: ev.failure, reason: ev.reason }, level: "warn" });
        else this.emit({ do: "log", event: "intercept.upstream_failed", fields: { host: this.cfg.host, kind: ev.failure, reason: ev.reason }, level: "warn" });
        this.respond(502, `Halton Meter could not reach ${this.cfg.host}: ${ev.reason}`);
        this.finish(false);
        break;
      case "timer":
        if (ev.name === "request") this.requestTimeout();
        else if (s.phase === "waiting") this.endClient();
        break;
      case "shutdown":
        this.shutdown(ev.graceMs);
        break;
    }
    return this.out.splice(0);
  }

  private emit(c: ExchangeCommand): void {
    this.out.push(c);
  }

  /**
   * Between exchanges, a connection waits for its next request head: the first for at most the
   * head timeout (a client that finished TLS and says nothing is not a client), later ones for
   * the longer keep-alive idle time, and a head once begun for the head timeout again.
   */
  private awaitRequest(): void {
    const s = this.state;
    if (s.phase !== "waiting") return;
    const want = this.served === 0 || this.req.buffered > 0 ? "head" : "idle";
    if (s.timer === want) return;
    s.timer = want;
    this.emit({ do: "set-timer", name: "request", ms: want === "head" ? this.cfg.headTimeoutMs : this.cfg.idleTimeoutMs });
  }

  private requestTimeout(): void {
    const s = this.state;
    if (s.phase !== "waiting" || s.timer === null) return;
    const ms = s.timer === "head" ? this.cfg.headTimeoutMs : this.cfg.idleTimeoutMs;
    s.timer = null;
    const partial = this.req.buffered > 0;
    this.emit({ do: "log", event: "intercept.client_timeout", fields: { host: this.cfg.host, served: this.served, partial_head: partial, ms } });
    // Silence gets a silent close, as an idle keep-alive connection expects; half a head gets a 408.
    if (partial) this.reject(408, `no complete request head within ${ms} ms`);
    else this.endClient();
  }

  private clientData(bytes: Uint8Array): void {
    if (this.state.phase === "closed" || this.state.phase === "spliced") return;
    this.req.push(bytes);
    this.pump();
  }

  /** Moves client bytes along: a new request head, or the current request's body. */
  private pump(): void {
    const s = this.state;
    if (s.phase === "waiting") return this.readHead(s);
    if (s.phase === "connecting" && this.req.full) this.emit({ do: "pause", side: "client" });
    if (s.phase === "exchanging") this.forwardBody(s.ex, null);
  }

  private readHead(s: State & { phase: "waiting" }): void {
    if (this.req.buffered === 0) return;
    const r = this.req.head();
    if (r.kind === "incomplete") return this.awaitRequest();
    if (r.kind === "invalid") return this.reject(r.status, r.reason);
    const { head, headBytes, body } = r;
    if (s.timer) this.emit({ do: "clear-timer", name: "request" });
    const ex: Exchange = { n: ++this.begun, head, headBytes, reqBody: body, error: null, sentToClient: false };
    this.state = { phase: "connecting", ex };
    const canary = selfTestRequest(ex.head.target);
    if (canary) return this.answerSelfTest(ex, canary.nonce);
    this.emit({ do: "begin", n: ex.n, head: ex.head, headBytes });
    this.emit({ do: "acquire", n: ex.n });
  }

  /** The canary never goes upstream: answer it here, record it, close. */
  private answerSelfTest(ex: Exchange, nonce: string | null): void {
    const answer = selfTestResponse(ex.head.method, nonce);
    this.emit({ do: "self-test", n: ex.n, head: ex.head, status: answer.status });
    this.toClient(ex, answer.bytes);
    this.finish(true);
  }

  private upstreamReady(n: number): void {
    const s = this.state;
    // Answered for an exchange that is over (its client left): back to the pool, unused.
    if (s.phase !== "connecting" || s.ex.n !== n) return this.emit({ do: "release" });
    this.state = { phase: "exchanging", ex: s.ex, resp: new ResponseReader(s.ex.head.method) };
    this.emit({ do: "resume", side: "client" });
    this.forwardBody(s.ex, s.ex.headBytes);
  }

  /** `lead`: the request head, sent with the body bytes already here (one TLS record, one wake-up). */
  private forwardBody(ex: Exchange, lead: Uint8Array | null): void {
    const r = this.req.body(ex.reqBody);
    if (r.kind === "invalid") return this.reject(400, r.reason);
    const out = lead && r.bytes.length ? Buffer.concat([lead, r.bytes]) : (lead ?? r.bytes);
    if (out.length) this.emit({ do: "send", to: "upstream", bytes: out });
    if (r.payload.length) this.emit({ do: "request-body", payload: r.payload });
    // A pipelined next request waits until this exchange is over.
    if (ex.reqBody.done && this.req.full) this.emit({ do: "pause", side: "client" });
    this.endIfBodyCutShort(ex);
  }

  /** The client sent FIN with part of its request body: nothing can finish that request now. */
  private endIfBodyCutShort(ex: Exchange): void {
    // Until the upstream is open the body waits unread in the reader; forwardBody decides after it feeds it.
    if (this.input !== "ended" || this.state.phase !== "exchanging" || ex.reqBody.done) return;
    ex.error ??= "client closed the connection mid-request-body";
    this.finish(false);
  }

  private upstreamData(s: State & { phase: "exchanging" }, bytes: Uint8Array): void {
    const r = s.resp.feed(bytes);
    if (r.firstByte) this.emit({ do: "first-byte" });
    if (r.status !== null) this.emit({ do: "status", status: r.status });
    for (const bytes of r.toClient) this.toClient(s.ex, bytes);
    if (r.head) this.emit({ do: "response-head", ...r.head });
    if (r.payload.length) this.emit({ do: "response-body", payload: r.payload });
    switch (r.end?.kind) {
      case "done":
        return this.finish(true);
      case "invalid":
        s.ex.error = r.end.error;
        if (!s.ex.sentToClient) this.respond(502, `Halton Meter: ${this.cfg.host} sent ${r.end.error}`);
        return this.finish(false);
      case "switched":
        return this.switchProtocols(s.ex, r.end.headers, r.end.rest);
    }
  }

  /**
   * 101 Switching Protocols: from here on both sides speak something else; splice them raw. The
   * record learns what it became (a WebSocket may carry metered responses) before the 101's row is done.
   */
  private switchProtocols(ex: Exchange, headers: RawHeaders, rest: Uint8Array): void {
    this.emit({ do: "upgraded", headers });
    this.emit({ do: "finish", complete: true, error: ex.error });
    this.emit({ do: "splice", toClient: rest, toUpstream: this.req.take() });
    this.state = { phase: "spliced" };
  }

  private toClient(ex: Exchange, bytes: Uint8Array): void {
    ex.sentToClient = true;
    this.emit({ do: "send", to: "client", bytes });
  }

  private upstreamGone(): void {
    const s = this.state;
    if (s.phase !== "exchanging") return;
    if (s.resp.endsAtClose) return this.finish(true);
    s.ex.error ??= s.resp.headRead ? "upstream closed mid-response" : "upstream closed before responding";
    if (!s.ex.sentToClient) this.respond(502, `Halton Meter: ${this.cfg.host} closed the connection before responding`);
    this.finish(false);
  }

  private finish(complete: boolean): void {
    const s = this.state;
    if (s.phase !== "connecting" && s.phase !== "exchanging") return;
    const ex = s.ex;
    this.served++;
    this.emit({ do: "finish", complete, error: ex.error });
    const keepAlive = s.phase === "exchanging" && s.resp.keepAlive;
    const reusable = complete && keepAlive && ex.reqBody.done && keepsAlive(ex.head.version, ex.head.headers);
    if (s.phase === "exchanging") this.emit({ do: reusable ? "release" : "discard" });
    this.state = { phase: "waiting", timer: null };
    if (!reusable || this.input !== "open") return this.endClient();
    this.emit({ do: "resume", side: "client" });
    // A pipelined request begins at once; otherwise the wait for the next head starts.
    this.pump();
    this.awaitRequest();
  }

  /** Refuses what the client sent; an exchange under way ends here with the reason in its row. */
  private reject(status: number, reason: string): void {
    const s = this.state;
    const ex = s.phase === "connecting" || s.phase === "exchanging" ? s.ex : null;
    if (!ex?.sentToClient) this.respond(status, reason);
    if (!ex) return this.endClient();
    ex.error ??= reason;
    this.finish(false);
  }

  private respond(status: number, reason: string): void {
    this.emit({ do: "send", to: "client", bytes: Buffer.from(plainResponse(status, reason, "daemon")) });
  }

  private endClient(): void {
    this.req.take();
    this.state = { phase: "closed" };
    this.emit({ do: "end-client" });
  }

  /** A client that half-closes (`gone` false) still gets the answer to what it already sent. */
  private clientLeft(gone: boolean): void {
    const s = this.state;
    if (s.phase === "closed" || s.phase === "spliced") return;
    this.input = "ended";
    if (s.phase === "waiting") return this.endClient();
    if (!gone) return s.phase === "exchanging" ? this.endIfBodyCutShort(s.ex) : undefined;
    s.ex.error ??= "client closed the connection mid-exchange";
    this.finish(false);
  }

  /**
   * Shutting down: a connection idle between requests ends now, a busy one after its exchange.
   * One that has not sent its first request yet is owed that request (for up to `graceMs`): its
   * client was just told "200" and finished TLS, and cutting it now would fail a request that
   * the edge can no longer replay elsewhere.
   */
  private shutdown(graceMs: number): void {
    if (this.input === "open") this.input = "draining";
    if (this.state.phase !== "waiting") return;
    if (this.served > 0) return this.endClient();
    this.emit({ do: "set-timer", name: "grace", ms: graceMs });
  }
}
