import { describe, expect, test } from "bun:test";
import { exchanging, GET, ok, Playbook, post, q } from "./_playbook.ts";

// The exchange machine when a side stops, stalls, backs up or lies, as transcripts.

describe("half-close", () => {
  test("client FIN after its request: it still gets the answer, then the connection ends (the upstream pooled)", () => {
    const p = exchanging(GET);
    expect(p.fin("client")).toEqual([]);
    expect(p.upstream(ok("a")).slice(-3)).toEqual(["finish complete", "release", "end client"]);
  });

  test("client FIN between requests ends the connection", () => {
    const p = exchanging(GET);
    p.upstream(ok(""));
    expect(p.fin("client")).toEqual(["end client"]);
  });

  test("client FIN mid-body: nothing can finish the request; the row says why", () => {
    const p = exchanging(post("0123456789").slice(0, -6));
    expect(p.fin("client")).toEqual(["finish incomplete: client closed the connection mid-request-body", "discard", "end client"]);
  });

  test("client FIN mid-body before the upstream is open: decided once the body it sent is fed", () => {
    const p = new Playbook();
    p.client(post("0123456789").slice(0, -6));
    expect(p.fin("client")).toEqual([]);
    expect(p.ready(1).slice(-3)).toEqual(["finish incomplete: client closed the connection mid-request-body", "discard", "end client"]);
  });

  test("provider FIN before answering: a 502 says so, and the row", () => {
    const p = exchanging(GET);
    const out = p.fin("upstream");
    expect(out[0]).toMatch(/^send client "HTTP\/1\.1 502 Bad Gateway.*closed the connection before responding/);
    expect(out.slice(1)).toEqual(["finish incomplete: upstream closed before responding", "discard", "end client"]);
  });
});

describe("a side leaving mid-message", () => {
  test("the provider closes mid-response: the client has what came, no 502 after it, the row is incomplete", () => {
    const p = exchanging(GET);
    p.upstream(ok("0123456789").slice(0, -5));
    expect(p.close("upstream")).toEqual(["finish incomplete: upstream closed mid-response", "discard", "end client"]);
    expect(p.sent("client")).toBe(ok("0123456789").slice(0, -5));
  });

  test("the client goes away mid-exchange: the row is incomplete and the upstream closed", () => {
    const p = exchanging(post("0123456789").slice(0, -3));
    expect(p.close("client")).toEqual(["finish incomplete: client closed the connection mid-exchange", "discard", "end client"]);
    expect(p.upstream(ok(""))).toEqual([]);
  });

  test("the client goes away while its upstream is being acquired: the upstream, when it comes, goes back unused", () => {
    const p = new Playbook();
    p.client(GET);
    expect(p.close("client")).toEqual(["finish incomplete: client closed the connection mid-exchange", "end client"]);
    expect(p.ready(1)).toEqual(["release"]);
  });

  test("an upstream that cannot be had: a 502 naming the reason, a row, the connection ended", () => {
    const p = new Playbook();
    p.client(GET);
    const out = p.on({ kind: "upstream-failed", n: 1, failure: "refused", reason: "connection refused", tls: false });
    expect(out[0]).toBe("log intercept.upstream_failed");
    expect(out[1]).toMatch(/^send client "HTTP\/1\.1 502 Bad Gateway.*could not reach api\.anthropic\.com: connection refused/);
    expect(out.slice(2)).toEqual(["finish incomplete: connection refused", "end client"]);
  });

  test("an upstream whose TLS handshake failed is logged as a TLS failure, its side named", () => {
    const p = new Playbook();
    p.client(GET);
    const reason = "api.anthropic.com's certificate failed verification: unable to verify the first certificate";
    const out = p.on({ kind: "upstream-failed", n: 1, failure: "cert-invalid", reason, tls: true });
    expect(out[0]).toBe("log intercept.tls_failed");
    expect(p.raw.find((c) => c.do === "log")).toMatchObject({ fields: { side: "upstream", kind: "cert-invalid", reason }, level: "warn" });
    expect(out.slice(2)).toEqual([`finish incomplete: ${reason}`, "end client"]);
  });
});

describe("timeouts", () => {
  test("no head within the head timeout after the handshake: a silent close", () => {
    const p = new Playbook();
    expect(p.timer("request")).toEqual(["log intercept.client_timeout", "end client"]);
  });

  test("half a head when the timer fires: a 408", () => {
    const p = new Playbook();
    expect(p.client("GET /v1/mo")).toEqual([]);
    const out = p.timer("request");
    expect(out[1]).toMatch(/^send client "HTTP\/1\.1 408 Request Timeout.*no complete request head within 1000 ms/);
    expect(out.slice(2)).toEqual(["end client"]);
  });

  test("idle between requests: the longer idle timer, a silent close; a head begun switches back to the head timer", () => {
    const p = exchanging(GET);
    expect(p.upstream(ok("")).at(-1)).toBe("timer request 5000");
    expect(p.client("GET /")).toEqual(["timer request 1000"]);
    expect(p.client(" HTTP/1.1\r\n")).toEqual([]);
    const idle = exchanging(GET);
    idle.upstream(ok(""));
    expect(idle.timer("request")).toEqual(["log intercept.client_timeout", "end client"]);
  });

  test("a timer that fires once an exchange is under way changes nothing", () => {
    const p = exchanging(GET);
    expect(p.timer("request")).toEqual([]);
  });
});

describe("backpressure", () => {
  test("the client backed up pauses the provider; drained, it resumes", () => {
    const p = exchanging(GET);
    expect(p.on({ kind: "backed-up", side: "client" })).toEqual(["pause upstream"]);
    expect(p.on({ kind: "drained", side: "client" })).toEqual(["resume upstream"]);
  });

  test("the provider backed up pauses the client; drained, it resumes", () => {
    const p = exchanging(post("x".repeat(100)).slice(0, -10));
    expect(p.on({ kind: "backed-up", side: "upstream" })).toEqual(["pause client"]);
    expect(p.on({ kind: "drained", side: "upstream" })).toEqual(["resume client"]);
  });

  test("between exchanges there is nothing to pause", () => {
    const p = new Playbook();
    expect(p.on({ kind: "backed-up", side: "client" })).toEqual([]);
  });
});

describe("refusals", () => {
  test("a malformed request head: a 400 and the connection ended, nothing sent upstream", () => {
    const p = new Playbook();
    const out = p.client("GET /\r\n\r\n");
    expect(out[0]).toMatch(/^send client "HTTP\/1\.1 400 Bad Request.*malformed request line/);
    expect(out.slice(1)).toEqual(["end client"]);
  });

  test("Transfer-Encoding with Content-Length (smuggling): refused", () => {
    const p = new Playbook();
    expect(p.client("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")[0]).toMatch(/400 Bad Request.*both Transfer-Encoding and Content-Length/);
  });

  test("a bad chunk in the request body: a 400, the row says why", () => {
    const p = exchanging("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    const out = p.client("zz\r\n");
    expect(out[0]).toMatch(/400 Bad Request.*invalid chunk size/);
    expect(out.slice(1)).toEqual(['finish incomplete: invalid chunk size "zz"', "discard", "end client"]);
  });

  test("a provider that sends no HTTP: a 502 to the client, the upstream closed", () => {
    const p = exchanging(GET);
    const out = p.upstream("SSH-2.0-OpenSSH\r\n\r\n");
    expect(out[0]).toMatch(/502 Bad Gateway.*malformed status line/);
    expect(out.slice(1)).toEqual(["finish incomplete: malformed status line from upstream", "discard", "end client"]);
  });

  test("a response body that breaks its framing: the client keeps what it had, no answer of ours after it", () => {
    const p = exchanging(GET);
    const out = p.upstream("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnot-hex\r\n");
    expect(out).toEqual(["first-byte", "status 200", `send client ${q("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")}`, 'finish incomplete: upstream body: invalid chunk size "not-hex"', "discard", "end client"]);
  });
});

describe("shutdown", () => {
  test("idle between requests: the connection ends now", () => {
    const p = exchanging(GET);
    p.upstream(ok(""));
    expect(p.on({ kind: "shutdown", graceMs: 5000 })).toEqual(["end client"]);
  });

  test("busy: the exchange finishes, then the connection ends (its upstream still pooled)", () => {
    const p = exchanging(GET);
    expect(p.on({ kind: "shutdown", graceMs: 5000 })).toEqual([]);
    expect(p.upstream(ok("")).slice(-2)).toEqual(["release", "end client"]);
  });

  test("before its first request: owed that request for the grace; it is served, then the connection ends", () => {
    const p = new Playbook();
    expect(p.on({ kind: "shutdown", graceMs: 5000 })).toEqual(["timer grace 5000"]);
    p.client(GET);
    expect(p.timer("grace")).toEqual([]);
    p.ready(1);
    expect(p.upstream(ok("")).slice(-2)).toEqual(["release", "end client"]);
  });

  test("and when it says nothing within the grace: ended", () => {
    const p = new Playbook();
    p.on({ kind: "shutdown", graceMs: 5000 });
    expect(p.timer("grace")).toEqual(["end client"]);
  });
});
