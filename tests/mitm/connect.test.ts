import { describe, expect, test } from "bun:test";
import { type ConnectCommand, type ConnectContext, ConnectMachine, projectFromProxyAuth } from "../../core/mitm/connect.ts";
import { proxyLineFor } from "../../core/proxy/proxy-protocol.ts";

// The daemon's CONNECT decision as transcripts: bytes and the head timer in, one decision out,
// without sockets or sleeping.

const CTX: ConnectContext = {
  ownPorts: () => new Set([8081, 8082, 8083]),
  decrypts: (host) => host === "api.anthropic.com",
  headTimeoutMs: 1000,
  overLimit: null,
  socket: { address: "127.0.0.1", port: 50000, localPort: 8082 },
};

const EDGE_LINE = proxyLineFor("127.0.0.1", 41234, "127.0.0.1", 8081);

function line(c: ConnectCommand): string {
  switch (c.do) {
    case "set-timer":
      return `timer ${c.ms}`;
    case "clear-timer":
      return "clear";
    case "refuse":
      return `refuse ${c.status} ${c.reason}`;
    case "log":
      return `log ${c.event}`;
    case "drop":
      return "drop";
    case "route": {
      const r = c.route;
      const who = `${r.client.viaEdge ? "edge" : "direct"} ${r.client.address}:${r.client.port}`;
      return r.kind === "tunnel" ? `tunnel ${r.target.host}:${r.target.port} (${r.why}, ${r.held.length} held) for ${who}` : `intercept ${r.target.host}:${r.target.port} for ${who}`;
    }
  }
}

function play(ctx: Partial<ConnectContext> = {}) {
  const m = new ConnectMachine({ ...CTX, ...ctx });
  const raw: ConnectCommand[] = [];
  const run = (cs: ConnectCommand[]) => {
    raw.push(...cs);
    return cs.map(line);
  };
  return {
    raw,
    opening: run(m.start()),
    send: (s: string) => run(m.handle({ kind: "data", bytes: Buffer.from(s, "latin1") })),
    timer: () => run(m.handle({ kind: "timer" })),
  };
}

describe("the decision", () => {
  test("from the edge: the PROXY line names the client; a metered host is intercepted", () => {
    const p = play();
    expect(p.opening).toEqual(["timer 1000"]);
    expect(p.send(`${EDGE_LINE}CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\n\r\n`)).toEqual(["clear", "intercept api.anthropic.com:443 for edge 127.0.0.1:41234"]);
  });

  test("a client that came directly is named by its socket", () => {
    const p = play();
    expect(p.send("CONNECT api.anthropic.com:443 HTTP/1.1\r\n\r\n")).toEqual(["clear", "intercept api.anthropic.com:443 for direct 127.0.0.1:50000"]);
  });

  test("a host the daemon does not decrypt is tunnelled raw", () => {
    const p = play();
    expect(p.send(`${EDGE_LINE}CONNECT example.org:443 HTTP/1.1\r\n\r\n`)).toEqual(["clear", "tunnel example.org:443 (not-decrypted, 0 held) for edge 127.0.0.1:41234"]);
  });

  test("a ClientHello sent with the CONNECT cannot reach our TLS layer: tunnelled raw, the bytes held for the relay", () => {
    const p = play();
    expect(p.send("CONNECT api.anthropic.com:443 HTTP/1.1\r\n\r\n\x16\x03\x01hello")).toEqual(["log intercept.pipelined_hello", "clear", "tunnel api.anthropic.com:443 (pipelined-hello, 8 held) for direct 127.0.0.1:50000"]);
    const route = p.raw.find((c) => c.do === "route");
    const held = route?.do === "route" && route.route.kind === "tunnel" ? route.route.held : null;
    expect(Buffer.from(held ?? []).toString("latin1")).toBe("\x16\x03\x01hello");
  });

  test("the head in pieces, the PROXY line split too: nothing is decided until it is whole", () => {
    const p = play();
    const all = `${EDGE_LINE}CONNECT api.anthropic.com:443 HTTP/1.1\r\n\r\n`;
    for (const piece of [all.slice(0, 9), all.slice(9, 40), all.slice(40, -2)]) expect(p.send(piece)).toEqual([]);
    expect(p.send(all.slice(-2))).toEqual(["clear", "intercept api.anthropic.com:443 for edge 127.0.0.1:41234"]);
  });

  test("proxy credentials name the project; anything after the decision is not the machine's", () => {
    const p = play();
    const auth = Buffer.from("billing:").toString("base64");
    p.send(`CONNECT api.anthropic.com:443 HTTP/1.1\r\nProxy-Authorization: Basic ${auth}\r\n\r\n`);
    const route = p.raw.find((c) => c.do === "route");
    expect(route?.do === "route" && route.route.client.proxyProject).toBe("billing");
    expect(p.send("more bytes")).toEqual([]);
    expect(p.timer()).toEqual([]);
  });
});

describe("refusals", () => {
  test.each([
    ["a request that is not CONNECT", "GET / HTTP/1.1\r\n\r\n", "refuse 400 this is Halton Meter's daemon port: send CONNECT host:port"],
    ["a CONNECT without a port", "CONNECT api.anthropic.com HTTP/1.1\r\n\r\n", /^refuse 400 bad CONNECT target: /],
    ["a loop to our own port", "CONNECT 127.0.0.1:8083 HTTP/1.1\r\n\r\n", "refuse 403 refusing to proxy to 127.0.0.1:8083: that is Halton Meter itself (a proxy loop)"],
    ["a loop by another name", "CONNECT localhost:8081 HTTP/1.1\r\n\r\n", "refuse 403 refusing to proxy to localhost:8081: that is Halton Meter itself (a proxy loop)"],
    ["a malformed PROXY line", "PROXY TCP4 nonsense\r\nCONNECT api.anthropic.com:443 HTTP/1.1\r\n\r\n", /^refuse 400 /],
    ["a request line that is not HTTP", "CONNECT api.anthropic.com:443 SPDY/3\r\n\r\n", /^refuse 400 unsupported protocol/],
  ])("%s", (_name, bytes, want) => {
    const out = play().send(bytes);
    expect(out[0]).toBe("clear");
    expect(out.length).toBe(2);
    if (typeof want === "string") expect(out[1]).toBe(want);
    else expect(out[1]).toMatch(want);
  });

  test("a head that never completes: the timer answers 408, and the machine is done", () => {
    const p = play();
    expect(p.send("CONNECT api.anthr")).toEqual([]);
    expect(p.timer()).toEqual(["log daemon.error", "refuse 408 no complete CONNECT head within 1000 ms"]);
    expect(p.raw.find((c) => c.do === "log")).toMatchObject({ fields: { kind: "head-timeout", status: 408, ms: 1000, bytes: 17 } });
    expect(p.send("opic.com:443 HTTP/1.1\r\n\r\n")).toEqual([]);
  });

  test("a head larger than the limit is refused before it ends", () => {
    const out = play().send(`CONNECT api.anthropic.com:443 HTTP/1.1\r\nX-Filler: ${"a".repeat(70_000)}`);
    expect(out[1]).toMatch(/^refuse 431 /);
  });
});

describe("over the connection limit", () => {
  test("the edge (its PROXY line first) gets a close without an answer: it tunnels that request raw", () => {
    const p = play({ overLimit: 512 });
    expect(p.send(`${EDGE_LINE}CONNECT api.anthropic.com:443 HTTP/1.1\r\n\r\n`)).toEqual(["clear", "log daemon.error", "drop"]);
    expect(p.raw.find((c) => c.do === "log")).toMatchObject({ fields: { kind: "over-capacity", status: null, limit: 512, via_edge: true }, level: "warn" });
  });

  test("a client that came directly gets a 503; one that says nothing gets it at the head timeout", () => {
    expect(play({ overLimit: 512 }).send("CONNECT api.anthropic.com:443 HTTP/1.1\r\n\r\n")).toEqual([
      "clear",
      "log daemon.error",
      "refuse 503 Halton Meter's daemon is at its limit of 512 connections; retry shortly",
    ]);
    const quiet = play({ overLimit: 512 });
    expect(quiet.opening).toEqual(["timer 1000"]);
    expect(quiet.timer()).toEqual(["refuse 503 Halton Meter's daemon is at its limit of 512 connections; retry shortly"]);
  });
});

describe("projectFromProxyAuth", () => {
  test("the user part of Basic credentials, when it is a plain name", () => {
    const basic = (s: string) => `Basic ${Buffer.from(s).toString("base64")}`;
    expect(projectFromProxyAuth(basic("web-app:"))).toBe("web-app");
    expect(projectFromProxyAuth(basic("a b:"))).toBeNull();
    expect(projectFromProxyAuth("Bearer x")).toBeNull();
    expect(projectFromProxyAuth(null)).toBeNull();
  });
});
