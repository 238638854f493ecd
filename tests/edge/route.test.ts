import { describe, expect, test } from "bun:test";
import { EdgeRoute, type RouteCommand, type RouteContext, type RouteEvent } from "../../core/edge/route.ts";
import { HELD_CAP } from "../../core/proxy/held.ts";

// The edge's route as transcripts: "client sends a CONNECT -> the edge asks for the daemon's
// health -> dials it -> sends the PROXY line, head and hello -> the chain timer fires -> the
// same bytes go to a raw tunnel". No sockets, no clock, no sleeping.

const PROXY_LINE = "PROXY TCP4 127.0.0.1 127.0.0.1 41234 8081\r\n";

const CTX: RouteContext = {
  ownPorts: () => new Set([8081, 8082, 8083]),
  intercepted: new Set(["api.anthropic.com"]),
  headTimeoutMs: 1000,
  chainTimeoutMs: 300,
  overLimit: null,
  proxyLine: () => PROXY_LINE,
  clientPort: 41234,
};

const text = (b: Uint8Array) => JSON.stringify(Buffer.from(b).toString("latin1"));
const up = (h: { chunks: Uint8Array[]; ended: boolean }) => `${text(Buffer.concat(h.chunks))}${h.ended ? " +FIN" : ""}`;

function line(c: RouteCommand): string {
  switch (c.do) {
    case "set-timer":
      return `timer ${c.name} ${c.ms}`;
    case "clear-timer":
      return `clear ${c.name}`;
    case "fail":
      return `fail ${c.status} ${c.kind}: ${c.reason}`;
    case "dial-daemon":
      return `dial daemon ${c.timeoutMs}`;
    case "send-daemon":
      return `send daemon ${text(c.bytes)}`;
    case "splice-daemon":
      return `splice daemon first ${text(c.first)} up ${up(c.up)}`;
    case "invalidate-health":
      return `invalidate health: ${c.why}`;
    case "dial-target":
      return `dial ${c.target.host}:${c.target.port}`;
    case "relay":
      return `relay client ${c.toClient === null ? "-" : text(Buffer.from(c.toClient))} up ${up(c.up)}`;
    case "log":
      return `log ${c.event}${c.fields.reason ? ` ${c.fields.reason}` : ""}`;
    default:
      return c.do;
  }
}

function play(ctx: Partial<RouteContext> = {}) {
  const route = new EdgeRoute({ ...CTX, ...ctx });
  const raw: RouteCommand[] = [];
  const run = (cs: RouteCommand[]) => {
    raw.push(...cs);
    return cs.map(line);
  };
  const on = (ev: RouteEvent) => run(route.handle(ev));
  return {
    route,
    raw,
    opening: run(route.start()),
    on,
    send: (s: string | Uint8Array) => on({ kind: "data", bytes: typeof s === "string" ? Buffer.from(s, "latin1") : s }),
  };
}

const CONNECT = "CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\n\r\n";
const HELLO = "\x16\x03\x01hello";
const TUNNEL_200 = JSON.stringify("HTTP/1.1 200 Connection Established\r\n\r\n");

/** Up to the chain's send: a metered CONNECT with its hello, a healthy daemon, dialled. */
function chained() {
  const p = play();
  p.send(CONNECT + HELLO);
  p.on({ kind: "health", healthy: true });
  p.on({ kind: "daemon-dialed", ok: true });
  return p;
}

describe("a metered host with a healthy daemon: the chain", () => {
  test("head -> health -> dial the daemon -> one write -> its first byte -> spliced, nothing replayed", () => {
    const p = play();
    expect(p.opening).toEqual(["timer head 1000"]);
    expect(p.send(CONNECT + HELLO)).toEqual(["clear head", "check-health"]);
    expect(p.on({ kind: "health", healthy: true })).toEqual(["timer chain 300", "dial daemon 300"]);
    expect(p.on({ kind: "daemon-dialed", ok: true })).toEqual([`send daemon ${JSON.stringify(PROXY_LINE + CONNECT + HELLO)}`]);
    expect(p.send("more")).toEqual([]);
    expect(p.on({ kind: "daemon-data", bytes: Buffer.from("HTTP/1.1 200 OK\r\n\r\n") })).toEqual([
      "clear chain",
      "log edge.chained",
      `splice daemon first ${JSON.stringify("HTTP/1.1 200 OK\r\n\r\n")} up "more"`,
    ]);
  });

  test("the daemon stays silent past the chain timeout: forgotten as healthy, the same bytes tunnelled raw", () => {
    const p = chained();
    p.send("more");
    expect(p.on({ kind: "timer", name: "chain" })).toEqual([
      "clear chain",
      "drop-daemon",
      "invalidate health: chain silent",
      "log edge.passthrough daemon-silent",
      "dial api.anthropic.com:443",
    ]);
    expect(p.raw.find((c) => c.do === "log")).toMatchObject({ fields: { reason: "daemon-silent", ms: 300 } });
    expect(p.on({ kind: "target-dialed", ok: true })).toEqual([`relay client ${TUNNEL_200} up ${JSON.stringify(HELLO + "more")}`]);
  });

  test("the daemon closes before answering, or refuses the dial: passthrough, the reason named", () => {
    const closed = chained();
    expect(closed.on({ kind: "daemon-closed" })).toContain("invalidate health: chain closed");
    const refused = play();
    refused.send(CONNECT);
    refused.on({ kind: "health", healthy: true });
    expect(refused.on({ kind: "daemon-dialed", ok: false, failure: "refused" })).toEqual([
      "clear chain",
      "drop-daemon",
      "invalidate health: chain refused (refused)",
      "log edge.passthrough daemon-refused",
      "dial api.anthropic.com:443",
    ]);
    const timedOut = play();
    timedOut.send(CONNECT);
    timedOut.on({ kind: "health", healthy: true });
    expect(timedOut.on({ kind: "daemon-dialed", ok: false, failure: "timeout" })).toContain("invalidate health: chain silent (timeout)");
  });

  test("an unhealthy daemon is not tried: passthrough at once", () => {
    const p = play();
    p.send(CONNECT);
    expect(p.on({ kind: "health", healthy: false })).toEqual(["log edge.passthrough daemon-unhealthy", "dial api.anthropic.com:443"]);
  });

  test("the client's FIN during the chain is passed on after the replay", () => {
    const p = chained();
    p.on({ kind: "end" });
    expect(p.on({ kind: "daemon-data", bytes: Buffer.from("x") }).at(-1)).toBe(`splice daemon first "x" up "" +FIN`);
  });

  test("the client leaving mid-chain: the daemon dropped, later answers ignored", () => {
    const p = chained();
    expect(p.on({ kind: "close" })).toEqual(["clear chain", "drop-daemon"]);
    expect(p.route.wants("daemon")).toBe(false);
    expect(p.on({ kind: "daemon-data", bytes: Buffer.from("x") })).toEqual([]);
    expect(p.on({ kind: "timer", name: "chain" })).toEqual([]);
  });

  test("the chain timer fires while the daemon's dial is still in flight: the dial, when it lands, is dropped", () => {
    const p = play();
    p.send(CONNECT + HELLO);
    p.on({ kind: "health", healthy: true });
    expect(p.route.wants("daemon")).toBe(true);
    expect(p.on({ kind: "timer", name: "chain" })).toContain("dial api.anthropic.com:443");
    expect(p.route.wants("daemon")).toBe(false);
    expect(p.route.wants("target")).toBe(true);
    expect(p.on({ kind: "daemon-dialed", ok: true })).toEqual(["drop-daemon"]);
    expect(p.on({ kind: "target-dialed", ok: true })).toEqual([`relay client ${TUNNEL_200} up ${JSON.stringify(HELLO)}`]);
    expect(p.on({ kind: "daemon-dialed", ok: true })).toEqual(["drop-daemon"]);
  });

  test("a client that leaves before the daemon's health is known: nothing dialled", () => {
    const p = play();
    p.send(CONNECT);
    expect(p.on({ kind: "close" })).toEqual([]);
    expect(p.on({ kind: "health", healthy: true })).toEqual([]);
  });

  test("the PROXY line is built only for a chain", () => {
    let asked = 0;
    const p = play({ proxyLine: () => (asked++, PROXY_LINE) });
    p.send("CONNECT example.org:443 HTTP/1.1\r\n\r\n");
    p.on({ kind: "target-dialed", ok: true });
    expect(asked).toBe(0);
    chained();
    const q = play({ proxyLine: () => (asked++, PROXY_LINE) });
    q.send(CONNECT);
    q.on({ kind: "health", healthy: true });
    q.on({ kind: "daemon-dialed", ok: true });
    expect(asked).toBe(1);
  });
});

describe("passthrough and plain HTTP", () => {
  test("a host nobody meters is tunnelled raw, no health asked", () => {
    const p = play();
    expect(p.send("CONNECT example.org:443 HTTP/1.1\r\n\r\n")).toEqual(["clear head", "log edge.passthrough not-metered", "dial example.org:443"]);
    expect(p.on({ kind: "target-dialed", ok: true })).toEqual([`relay client ${TUNNEL_200} up ""`]);
  });

  test("an absolute-form request goes out in origin form, its body after it", () => {
    const p = play();
    expect(p.send("POST http://example.org/v1/x HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody")).toEqual(["clear head", "dial example.org:80"]);
    const out = p.on({ kind: "target-dialed", ok: true });
    expect(out).toEqual([`relay client - up ${JSON.stringify("POST /v1/x HTTP/1.1\r\nContent-Length: 4\r\nHost: example.org\r\nConnection: close\r\n\r\nbody")}`]);
  });

  test("a target that cannot be reached is a 502 naming why; one reached after the client left is dropped", () => {
    const p = play();
    p.send("CONNECT example.org:443 HTTP/1.1\r\n\r\n");
    expect(p.on({ kind: "target-dialed", ok: false, failure: "dns", reason: "cannot resolve host example.org:443 (ENOTFOUND)" })).toEqual([
      "fail 502 dns: cannot resolve host example.org:443 (ENOTFOUND)",
    ]);
    const gone = play();
    gone.send("CONNECT example.org:443 HTTP/1.1\r\n\r\n");
    expect(gone.on({ kind: "close" })).toEqual([]);
    expect(gone.on({ kind: "target-dialed", ok: true })).toEqual(["drop-target"]);
  });

  test("a client that sends more than the hold's cap before its relay is wired is paused", () => {
    const p = play();
    p.send("CONNECT example.org:443 HTTP/1.1\r\n\r\n");
    expect(p.send(new Uint8Array(HELD_CAP))).toEqual([]);
    expect(p.send(new Uint8Array(1))).toEqual(["pause-client"]);
  });
});

describe("what is refused, and when", () => {
  test("no complete head within the head timeout: a 408", () => {
    const p = play();
    expect(p.send("CONNECT api.anthr")).toEqual([]);
    expect(p.on({ kind: "timer", name: "head" })).toEqual(["clear head", "fail 408 head-timeout: no complete request head within 1000 ms"]);
    expect(p.send("opic.com:443 HTTP/1.1\r\n\r\n")).toEqual([]);
  });

  test("a FIN before the head is complete: the client gave up, the connection ends", () => {
    const p = play();
    p.send("CONNECT api");
    expect(p.on({ kind: "end" })).toEqual(["clear head", "end-client"]);
  });

  test.each([
    ["a loop to our own port", "CONNECT 127.0.0.1:8082 HTTP/1.1\r\n\r\n", "fail 403 loop: refusing to proxy to 127.0.0.1:8082: that is Halton Meter itself (a proxy loop)"],
    ["an origin-form request", "GET /v1/messages HTTP/1.1\r\n\r\n", "fail 400 bad-request: this is Halton Meter's proxy port: send CONNECT host:port or an absolute http:// URL"],
    ["a malformed request line", "HELLO\r\n\r\n", "fail 400 bad-request: malformed request line"],
  ])("%s", (_name, head, want) => {
    expect(play().send(head)).toEqual(["clear head", want]);
  });

  test("our own ports are the ones in force when the head is read, not at accept", () => {
    let own = new Set([8081]);
    const p = play({ ownPorts: () => own });
    own = new Set([8081, 9000]);
    expect(p.send("CONNECT 127.0.0.1:9000 HTTP/1.1\r\n\r\n")[1]).toStartWith("fail 403 loop: ");
  });

  test("a head over the limit is refused as too large", () => {
    const out = play().send(`CONNECT a:1 HTTP/1.1\r\nX: ${"a".repeat(70_000)}`);
    expect(out[1]).toMatch(/^fail 431 head-too-large: /);
  });

  test("over the connection limit: a 503 at once, no timer", () => {
    const p = play({ overLimit: 64 });
    expect(p.opening).toEqual(["fail 503 over-capacity: Halton Meter's edge is at its limit of 64 connections; retry shortly"]);
    expect(p.raw[0]).toMatchObject({ fields: { limit: 64 } });
    expect(p.send(CONNECT)).toEqual([]);
  });
});
