// The daemon's side of a CONNECT, up to the decision: the PROXY line naming the client (from the
// edge), the CONNECT head, and where the connection goes: refused, tunnelled raw, or decrypted.
// A pure machine: bytes and the head timer in, commands out; the server (server.ts) carries
// them out and owns the sockets, the bypass table and the relays.

import { headerValue } from "../http/headers.ts";
import { MAX_HEAD_BYTES, parseRequestHead } from "../proxy/head.ts";
import { parseProxyLine } from "../proxy/proxy-protocol.ts";
import { loopRefusal, parseAuthority, type Target } from "../proxy/target.ts";

/** Who is on the other end of a connection, as far as we can tell. */
export interface ClientInfo {
  address: string;
  port: number;
  /** The port the client connected to (the edge's, or ours when it came directly). */
  serverPort: number;
  viaEdge: boolean;
  /** The project named in proxy credentials (`halton-meter run --project X`). */
  proxyProject: string | null;
}

export interface ConnectContext {
  /** Our own listening ports when the head is read: a CONNECT to one of them on loopback is a loop. */
  ownPorts(): ReadonlySet<number>;
  /** A host the daemon decrypts: metered, and our CA may sign for it. */
  decrypts(host: string): boolean;
  headTimeoutMs: number;
  /** `[daemon] max_connections` when this connection is over it, else null. */
  overLimit: number | null;
  /** The socket's own ends, for a client that came without a PROXY line. */
  socket: { address: string; port: number; localPort: number };
}

export type ConnectRoute =
  /** `held`: what the client sent after the head (its ClientHello, if it did not wait for our 200). */
  | { kind: "tunnel"; target: Target; client: ClientInfo; held: Uint8Array; why: "not-decrypted" | "pipelined-hello" }
  | { kind: "intercept"; target: Target; client: ClientInfo };

export type ConnectEvent = { kind: "data"; bytes: Uint8Array } | { kind: "timer" };

export type ConnectCommand =
  | { do: "set-timer"; ms: number }
  | { do: "clear-timer" }
  /** Answer with this status and reason, then end the connection. */
  | { do: "refuse"; status: number; reason: string }
  /** Close without a word (the edge takes that as "daemon unavailable" and tunnels raw). */
  | { do: "drop" }
  | { do: "route"; route: ConnectRoute }
  | { do: "log"; event: string; fields: Record<string, unknown>; level?: "warn" };

/** `Proxy-Authorization: Basic base64(project:)`: the user part names the project. */
export function projectFromProxyAuth(value: string | null | undefined): string | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(value?.trim() ?? "");
  if (!m) return null;
  const user = decodeURIComponent(Buffer.from(m[1]!, "base64").toString("utf8").split(":")[0] ?? "");
  return /^[\w.@+-]{1,100}$/.test(user) ? user : null;
}

const EMPTY = new Uint8Array(0);

export class ConnectMachine {
  private state: { phase: "reading"; buf: Uint8Array } | { phase: "decided" } = { phase: "reading", buf: EMPTY };

  constructor(private readonly ctx: ConnectContext) {}

  /** The connection was accepted: the head must be complete within the head timeout. */
  start(): ConnectCommand[] {
    return [{ do: "set-timer", ms: this.ctx.headTimeoutMs }];
  }

  handle(ev: ConnectEvent): ConnectCommand[] {
    const s = this.state;
    if (s.phase === "decided") return [];
    if (this.ctx.overLimit !== null) return this.overLimit(ev);
    if (ev.kind === "timer") {
      this.state = { phase: "decided" };
      return [
        { do: "log", event: "daemon.error", fields: { kind: "head-timeout", status: 408, ms: this.ctx.headTimeoutMs, bytes: s.buf.length } },
        { do: "refuse", status: 408, reason: `no complete CONNECT head within ${this.ctx.headTimeoutMs} ms` },
      ];
    }
    s.buf = s.buf.length ? Buffer.concat([s.buf, ev.bytes]) : ev.bytes;
    const out = this.read(s.buf);
    if (out.length) this.state = { phase: "decided" };
    return out;
  }

  /**
   * Over the limit. The edge (its PROXY line comes first) gets a close without an answer, which
   * it takes as "daemon unavailable" and tunnels that request raw: the tool never sees the limit.
   * A client that came directly gets a 503, or, saying nothing, one after the head timeout.
   */
  private overLimit(ev: ConnectEvent): ConnectCommand[] {
    this.state = { phase: "decided" };
    const limit = this.ctx.overLimit;
    const answer: ConnectCommand = { do: "refuse", status: 503, reason: `Halton Meter's daemon is at its limit of ${limit} connections; retry shortly` };
    if (ev.kind === "timer") return [answer];
    const viaEdge = Buffer.from(ev.bytes.subarray(0, 6)).toString("latin1") === "PROXY ";
    const log: ConnectCommand = { do: "log", event: "daemon.error", fields: { kind: "over-capacity", status: viaEdge ? null : 503, limit, via_edge: viaEdge }, level: "warn" };
    return [{ do: "clear-timer" }, log, viaEdge ? { do: "drop" } : answer];
  }

  private read(buf: Uint8Array): ConnectCommand[] {
    const pl = parseProxyLine(buf);
    if (pl.kind === "incomplete") return [];
    if (pl.kind === "invalid") return refuse(400, pl.reason);
    const skip = pl.kind === "ok" ? pl.length : 0;
    const parsed = parseRequestHead(buf.subarray(skip), MAX_HEAD_BYTES);
    if (parsed.kind === "incomplete") return [];
    if (parsed.kind === "invalid") return refuse(parsed.status, parsed.reason);
    const { head } = parsed;
    if (head.method !== "CONNECT") return refuse(400, "this is Halton Meter's daemon port: send CONNECT host:port");
    const t = parseAuthority(head.target);
    if (!t.ok) return refuse(400, `bad CONNECT target: ${t.reason}`);
    const target = t.target;
    const loop = loopRefusal(target, this.ctx.ownPorts());
    if (loop) return refuse(loop.status, loop.reason);
    const via = pl.kind === "ok" ? pl.address : null;
    const proxyProject = projectFromProxyAuth(headerValue(head.headers, "proxy-authorization"));
    const sock = this.ctx.socket;
    const client: ClientInfo = via
      ? { address: via.sourceAddress, port: via.sourcePort, serverPort: via.destPort, viaEdge: true, proxyProject }
      : { address: sock.address, port: sock.port, serverPort: sock.localPort, viaEdge: false, proxyProject };
    const held = buf.subarray(skip + parsed.length);
    const route = (r: ConnectRoute): ConnectCommand[] => [{ do: "clear-timer" }, { do: "route", route: r }];
    if (!this.ctx.decrypts(target.host)) return route({ kind: "tunnel", target, client, held, why: "not-decrypted" });
    // Our TLS layer reads the ClientHello from the socket itself; one already read (sent with
    // the CONNECT, before our 200) cannot be handed to it: that connection goes raw.
    if (held.length > 0) {
      return [{ do: "log", event: "intercept.pipelined_hello", fields: { host: target.host, bytes: held.length, client_port: client.port } }, ...route({ kind: "tunnel", target, client, held, why: "pipelined-hello" })];
    }
    return route({ kind: "intercept", target, client });
  }
}

const refuse = (status: number, reason: string): ConnectCommand[] => [{ do: "clear-timer" }, { do: "refuse", status, reason }];
