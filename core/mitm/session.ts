// The I/O shell of one decrypted client connection: it turns socket callbacks, timers and the
// pool's answers into events for the exchange machine (exchange.ts) and carries its commands
// out, in order. The protocol lives in the machine; the row in the recorder.

import type { EventLog } from "../log/jsonl.ts";
import { Outbox } from "../proxy/outbox.ts";
import { type Sock, splice } from "../proxy/sockets.ts";
import { ExchangeMachine } from "./exchange.ts";
import type { ExchangeCommand, ExchangeEvent, TimerName } from "./exchange-events.ts";
import { Recorder, type RecorderDeps } from "./recorder.ts";
import type { UpstreamConn, UpstreamPool } from "./upstream.ts";

export type { SessionHooks } from "./recorder.ts";

export interface SessionDeps extends Omit<RecorderDeps, "host"> {
  host: string;
  port: number;
  pool: UpstreamPool;
  log: EventLog;
  /**
   * Settles once the calling process is known (or its deadline passed). The first request waits
   * for it before going upstream: a client that had its answer might exit before /proc was read.
   */
  ready: Promise<unknown>;
  /** A request head (the first one counted from the handshake) must be complete within this. */
  headTimeoutMs: number;
  /** A keep-alive connection idle between requests is closed after this. */
  idleTimeoutMs: number;
}

/** Client bytes read ahead of the exchange that can take them; beyond it the client is paused. */
const INBUF_CAP = 1024 * 1024;

export class MitmSession {
  private readonly machine: ExchangeMachine;
  private readonly recorder: Recorder;
  private readonly out: Outbox;
  private upstream: UpstreamConn | null = null;
  private readonly timers = new Map<TimerName, ReturnType<typeof setTimeout>>();
  /** Events raised while commands run (a close inside `terminate()`, a backed-up send) wait their turn here. */
  private readonly queue: ExchangeEvent[] = [];
  private running = false;
  /** The machine is done: the client is ended once our bytes are out. */
  private ending = false;
  private closed = false;

  constructor(
    private readonly client: Sock,
    private readonly deps: SessionDeps,
  ) {
    this.out = new Outbox((d) => client.write(d));
    this.recorder = new Recorder(deps);
    this.machine = new ExchangeMachine({ host: deps.host, headTimeoutMs: deps.headTimeoutMs, idleTimeoutMs: deps.idleTimeoutMs, inbufCap: INBUF_CAP });
    client.data.on = {
      // Bun hands every data callback a fresh buffer (tests/proxy/fresh-buffers.test.ts pins it): no copy.
      data: (bytes) => this.feed({ kind: "data", side: "client", bytes }),
      drain: () => this.onClientDrain(),
      end: () => this.feed({ kind: "end", side: "client" }),
      close: () => {
        this.closed = true;
        this.out.clear();
        this.feed({ kind: "close", side: "client" });
      },
    };
    this.running = true;
    try {
      this.run(this.machine.start());
    } finally {
      this.running = false;
    }
    this.feed(null);
  }

  /** Shutting down (see the machine's `shutdown`): `firstRequestMs` for a connection yet to send its first request. */
  drain(firstRequestMs = 5000): void {
    this.feed({ kind: "shutdown", graceMs: firstRequestMs });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private feed(ev: ExchangeEvent | null): void {
    if (ev) this.queue.push(ev);
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) this.run(this.machine.handle(next));
    } finally {
      this.running = false;
    }
  }

  private run(commands: ExchangeCommand[]): void {
    for (const c of commands) this.carryOut(c);
  }

  private carryOut(c: ExchangeCommand): void {
    switch (c.do) {
      case "send":
        if (c.to === "client") {
          if (!this.out.send(c.bytes)) this.queue.push({ kind: "backed-up", side: "client" });
        } else if (this.upstream && !this.upstream.out.send(c.bytes)) this.queue.push({ kind: "backed-up", side: "upstream" });
        return;
      case "pause":
        return c.side === "client" ? this.client.pause() : this.upstream?.socket.pause();
      case "resume":
        return c.side === "client" ? this.client.resume() : this.upstream?.socket.resume();
      case "acquire":
        return this.acquire(c.n);
      case "release":
      case "discard": {
        const up = this.upstream;
        this.upstream = null;
        if (up) c.do === "release" ? this.deps.pool.release(up) : this.deps.pool.destroy(up);
        return;
      }
      case "set-timer":
        return this.setTimer(c.name, c.ms);
      case "clear-timer":
        clearTimeout(this.timers.get(c.name));
        this.timers.delete(c.name);
        return;
      case "splice":
        return this.splice(c.toClient, c.toUpstream);
      case "end-client":
        return this.endClient();
      case "log": {
        const id = this.recorder.currentId;
        return this.deps.log.event(c.event, id ? { id, ...c.fields } : c.fields, c.level);
      }
      default:
        return this.recorder.apply(c);
    }
  }

  /**
   * The upstream is taken only once the caller is known: a pooled connection taken earlier would
   * sit with nobody listening while the lookup runs, and a provider closing it then would leave
   * the exchange waiting for good.
   */
  private acquire(n: number): void {
    const { pool, host, port } = this.deps;
    this.deps.ready
      .then(() => pool.acquire(host, port))
      .then((got) => {
        if (!got.ok) return this.feed({ kind: "upstream-failed", n, failure: got.tls?.kind ?? got.kind, reason: got.reason, tls: got.tls !== undefined });
        if (this.upstream) return pool.release(got.conn);
        const conn = got.conn;
        this.upstream = conn;
        const mine = () => this.upstream === conn;
        conn.socket.data.on = {
          data: (bytes) => mine() && this.feed({ kind: "data", side: "upstream", bytes }),
          drain: () => mine() && conn.out.flush() && this.feed({ kind: "drained", side: "upstream" }),
          end: () => mine() && this.feed({ kind: "end", side: "upstream" }),
          close: () => mine() && this.feed({ kind: "close", side: "upstream" }),
        };
        this.feed({ kind: "upstream-ready", n });
      });
  }

  private setTimer(name: TimerName, ms: number): void {
    clearTimeout(this.timers.get(name));
    const timer = setTimeout(() => {
      this.timers.delete(name);
      this.feed({ kind: "timer", name });
    }, ms);
    timer.unref();
    this.timers.set(name, timer);
  }

  /**
   * The relay takes both writers over: what waits in our queues goes first, in order. The
   * recorder's tap (a WebSocket carrying responses) reads copies of the new protocol's bytes,
   * those already here first.
   */
  private splice(toClient: Uint8Array, toUpstream: Uint8Array): void {
    const up = this.upstream;
    this.upstream = null;
    if (!up) return this.endClient();
    const tap = this.recorder.spliceTap();
    const sp = splice(this.client, up.socket, () => void (this.closed = true), tap);
    for (const b of [...this.out.take(), toClient]) sp.down.push(b);
    for (const b of [...up.out.take(), toUpstream]) sp.up.push(b);
    tap?.bytes("down", toClient);
    tap?.bytes("up", toUpstream);
  }

  private onClientDrain(): void {
    if (!this.out.flush()) return;
    if (this.ending) return this.endNow();
    this.feed({ kind: "drained", side: "client" });
  }

  /** Ends the client connection once our bytes are out; its timers go with it. */
  private endClient(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.ending = true;
    if (this.out.pending === 0) this.endNow();
  }

  private endNow(): void {
    if (this.closed) return;
    this.client.end();
    // A peer that never answers our FIN must not keep the session (and a shutdown) waiting.
    this.closed = true;
  }
}
