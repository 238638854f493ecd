// One client connection at the edge as a pure machine, from accept to the relay: read one
// request head (within the head timeout), decide (decide.ts), and for a metered host with a
// healthy daemon try the chain: dial the daemon, hand it the PROXY line, the head and what the
// client sent, and wait for its first byte within the chain timeout. Anything short of that
// first byte replays the same bytes into a raw tunnel. The shell (server.ts) owns the sockets,
// the timers, the health cache and the dialer; no clock or socket in here.

import type { DialFailureKind } from "../proxy/dialer.ts";
import { MAX_HEAD_BYTES, parseRequestHead } from "../proxy/head.ts";
import { HeldInput } from "../proxy/held.ts";
import { CONNECTION_ESTABLISHED } from "../proxy/response.ts";
import type { Target } from "../proxy/target.ts";
import { decide, type EdgeDecision } from "./decide.ts";

export interface RouteContext {
  /** Our own ports as they are when the head is read (a reload may change them meanwhile). */
  ownPorts(): ReadonlySet<number>;
  intercepted: ReadonlySet<string>;
  headTimeoutMs: number;
  chainTimeoutMs: number;
  /** `[edge] max_connections` when this connection is over it, else null. */
  overLimit: number | null;
  /** The PROXY line naming the client, for the daemon: asked only for a chain. */
  proxyLine(): string;
  clientPort: number;
}

export type ErrorKind = "bad-request" | "head-too-large" | "head-timeout" | "loop" | "over-capacity" | DialFailureKind;

/** How a chain to the daemon failed: it closed unanswered, refused the dial, or stayed silent past the deadline. */
export type ChainVerdict = "closed" | "refused" | "silent";

export type RouteEvent =
  | { kind: "data"; bytes: Uint8Array }
  /** The client half-closed. */
  | { kind: "end" }
  /** The client is gone. */
  | { kind: "close" }
  | { kind: "timer"; name: "head" | "chain" }
  | { kind: "health"; healthy: boolean }
  | { kind: "daemon-dialed"; ok: true }
  | { kind: "daemon-dialed"; ok: false; failure: DialFailureKind }
  /** The daemon's first byte (the chain is answered), or its close before any. */
  | { kind: "daemon-data"; bytes: Uint8Array }
  | { kind: "daemon-closed" }
  | { kind: "target-dialed"; ok: true }
  | { kind: "target-dialed"; ok: false; failure: DialFailureKind; reason: string };

/** Bytes and FIN the client sent that the relay's upstream direction must get, in order. */
export interface Handover {
  chunks: Uint8Array[];
  ended: boolean;
}

export type RouteCommand =
  | { do: "set-timer"; name: "head" | "chain"; ms: number }
  | { do: "clear-timer"; name: "head" | "chain" }
  /** Log an `edge.error` (with `fields`) and, if the client is still there, answer it and end the connection. */
  | { do: "fail"; status: number; kind: ErrorKind; reason: string; where?: Target; fields?: Record<string, unknown> }
  | { do: "pause-client" }
  | { do: "end-client" }
  | { do: "check-health" }
  | { do: "dial-daemon"; timeoutMs: number }
  | { do: "send-daemon"; bytes: Uint8Array }
  /** Close the daemon's socket, if there is one: a failed chain, or a dial that finished after nobody wanted it. */
  | { do: "drop-daemon" }
  /** The chain is answered: relay client and daemon, `first` being the daemon's first bytes. */
  | { do: "splice-daemon"; first: Uint8Array; up: Handover }
  /** The cached "healthy" lied: forget it. */
  | { do: "invalidate-health"; why: string }
  | { do: "dial-target"; target: Target }
  /** Close the target's socket: its dial finished after the client left. */
  | { do: "drop-target" }
  /** Relay client and target: `toClient` first to the client, `up` (a head, then what the client sent) to the target. */
  | { do: "relay"; toClient: string | null; up: Handover }
  | { do: "log"; event: string; fields: Record<string, unknown> };

type Routed = Exclude<EdgeDecision, { kind: "reject" }>;

type State =
  | { phase: "head"; buf: Uint8Array }
  | { phase: "health"; decision: Routed }
  /** The daemon's dial is in flight. */
  | { phase: "dialing"; decision: Routed }
  /** The daemon has the chain (its first `sent` held chunks too) and its first byte is awaited. */
  | { phase: "chained"; decision: Routed; sent: number }
  | { phase: "target"; decision: Routed }
  | { phase: "relaying" }
  | { phase: "done" };

const EMPTY = new Uint8Array(0);

export class EdgeRoute {
  private state: State = { phase: "head", buf: EMPTY };
  private readonly held: HeldInput;
  /** The request head as the client sent it, for the daemon. */
  private head: Uint8Array = EMPTY;
  private out: RouteCommand[] = [];

  constructor(private readonly ctx: RouteContext) {
    this.held = new HeldInput(() => this.emit({ do: "pause-client" }));
  }

  /** Whether a dial of this kind still has someone waiting for it: one that finishes unwanted is closed at once. */
  wants(dial: "daemon" | "target"): boolean {
    return this.state.phase === (dial === "daemon" ? "dialing" : "target");
  }

  start(): RouteCommand[] {
    if (this.ctx.overLimit === null) return [{ do: "set-timer", name: "head", ms: this.ctx.headTimeoutMs }];
    this.state = { phase: "done" };
    const reason = `Halton Meter's edge is at its limit of ${this.ctx.overLimit} connections; retry shortly`;
    return [{ do: "fail", status: 503, kind: "over-capacity", reason, fields: { limit: this.ctx.overLimit } }];
  }

  handle(ev: RouteEvent): RouteCommand[] {
    const s = this.state;
    switch (ev.kind) {
      case "data":
        if (s.phase === "head") this.readHead(s, ev.bytes);
        else if (s.phase !== "relaying" && s.phase !== "done") this.held.push(ev.bytes);
        break;
      case "end":
        // Before a complete head there is nothing to relay: the client gave up.
        if (s.phase === "head") this.giveUp([{ do: "end-client" }]);
        else this.held.ended = true;
        break;
      case "close":
        if (s.phase === "dialing" || s.phase === "chained") this.giveUp([{ do: "clear-timer", name: "chain" }, { do: "drop-daemon" }]);
        else if (s.phase !== "relaying") this.giveUp([]);
        break;
      case "timer":
        if (ev.name === "head" && s.phase === "head") this.giveUp([{ do: "fail", status: 408, kind: "head-timeout", reason: `no complete request head within ${this.ctx.headTimeoutMs} ms` }]);
        else if (ev.name === "chain" && (s.phase === "dialing" || s.phase === "chained")) this.chainFailed(s.decision, "silent", null);
        break;
      case "health":
        if (s.phase === "health") this.healthKnown(s.decision, ev.healthy);
        break;
      case "daemon-dialed":
        if (s.phase !== "dialing") {
          if (ev.ok) this.emit({ do: "drop-daemon" });
        } else if (!ev.ok) this.chainFailed(s.decision, ev.failure === "timeout" ? "silent" : "refused", ev.failure);
        else this.sendChain(s.decision);
        break;
      case "daemon-data":
        if (s.phase !== "chained") break;
        this.emit({ do: "clear-timer", name: "chain" });
        this.emit({ do: "log", event: "edge.chained", fields: { host: s.decision.target.host, port: s.decision.target.port, client_port: this.ctx.clientPort } });
        this.emit({ do: "splice-daemon", first: ev.bytes, up: this.held.take(s.sent) });
        this.state = { phase: "relaying" };
        break;
      case "daemon-closed":
        if (s.phase === "chained") this.chainFailed(s.decision, "closed", null);
        break;
      case "target-dialed":
        if (s.phase === "target") this.targetDialed(s.decision, ev);
        else if (ev.ok) this.emit({ do: "drop-target" });
        break;
    }
    return this.out.splice(0);
  }

  private emit(c: RouteCommand): void {
    this.out.push(c);
  }

  private giveUp(commands: RouteCommand[]): void {
    if (this.state.phase === "head") this.emit({ do: "clear-timer", name: "head" });
    this.state = { phase: "done" };
    this.out.push(...commands);
  }

  private readHead(s: State & { phase: "head" }, bytes: Uint8Array): void {
    // Bun hands every data callback a fresh buffer (tests/proxy/fresh-buffers.test.ts pins it): no copies here.
    s.buf = s.buf.length ? Buffer.concat([s.buf, bytes]) : bytes;
    const parsed = parseRequestHead(s.buf, MAX_HEAD_BYTES);
    if (parsed.kind === "incomplete") return;
    if (parsed.kind === "invalid") return this.giveUp([{ do: "fail", status: parsed.status, kind: parsed.status === 431 ? "head-too-large" : "bad-request", reason: parsed.reason }]);
    this.emit({ do: "clear-timer", name: "head" });
    const head = s.buf.subarray(0, parsed.length);
    // Bytes that arrive before the upstream is open wait here (the client's TLS hello, a body).
    this.held.push(s.buf.subarray(parsed.length));
    const decision = decide(parsed.head, { ownPorts: this.ctx.ownPorts(), intercepted: this.ctx.intercepted });
    if (decision.kind === "reject") {
      this.state = { phase: "done" };
      return this.emit({ do: "fail", status: decision.status, kind: decision.status === 403 ? "loop" : "bad-request", reason: decision.reason });
    }
    this.head = head;
    if (decision.kind === "connect" && decision.intercept) {
      this.state = { phase: "health", decision };
      return this.emit({ do: "check-health" });
    }
    if (decision.kind === "connect") this.passthrough(decision, { reason: "not-metered" });
    else this.dialTarget(decision);
  }

  private healthKnown(decision: Routed, healthy: boolean): void {
    if (!healthy) return this.passthrough(decision, { reason: "daemon-unhealthy" });
    this.state = { phase: "dialing", decision };
    this.emit({ do: "set-timer", name: "chain", ms: this.ctx.chainTimeoutMs });
    this.emit({ do: "dial-daemon", timeoutMs: this.ctx.chainTimeoutMs });
  }

  /**
   * One write: the daemon reads the PROXY line, the head and the client's hello in one go.
   * Until its first byte comes back every client byte is kept, so that a daemon that dies,
   * hangs or stays silent before answering costs nothing: the same bytes go into a raw tunnel.
   */
  private sendChain(decision: Routed): void {
    this.state = { phase: "chained", decision, sent: this.held.chunks.length };
    this.emit({ do: "send-daemon", bytes: Buffer.concat([Buffer.from(this.ctx.proxyLine()), this.head, ...this.held.chunks]) });
  }

  private chainFailed(decision: Routed, verdict: ChainVerdict, dial: DialFailureKind | null): void {
    this.emit({ do: "clear-timer", name: "chain" });
    this.emit({ do: "drop-daemon" });
    this.emit({ do: "invalidate-health", why: `chain ${verdict}${dial ? ` (${dial})` : ""}` });
    this.passthrough(decision, { reason: `daemon-${verdict}`, ...(verdict === "silent" ? { ms: this.ctx.chainTimeoutMs } : {}) });
  }

  private passthrough(decision: Routed, why: Record<string, unknown>): void {
    this.emit({ do: "log", event: "edge.passthrough", fields: { host: decision.target.host, port: decision.target.port, ...why } });
    this.dialTarget(decision);
  }

  private dialTarget(decision: Routed): void {
    this.state = { phase: "target", decision };
    this.emit({ do: "dial-target", target: decision.target });
  }

  private targetDialed(decision: Routed, ev: RouteEvent & { kind: "target-dialed" }): void {
    this.state = { phase: ev.ok ? "relaying" : "done" };
    if (!ev.ok) return this.emit({ do: "fail", status: 502, kind: ev.failure, reason: ev.reason, where: decision.target });
    const up = this.held.take();
    if (decision.kind === "connect") this.emit({ do: "relay", toClient: CONNECTION_ESTABLISHED, up });
    else this.emit({ do: "relay", toClient: null, up: { ...up, chunks: [Buffer.from(decision.head, "latin1"), ...up.chunks] } });
  }
}
