import { describe, expect, test } from "bun:test";
import { exchanging, GET, ok, Playbook, post, q } from "./_playbook.ts";

// The exchange machine's happy paths, as transcripts: what the client sends, what the machine
// asks for, what the provider answers.

describe("one exchange", () => {
  test("client sends a head -> the machine begins the row and asks for an upstream -> sends the head -> relays the answer -> gives the upstream back", () => {
    const p = new Playbook();
    expect(p.opening).toEqual(["timer request 1000"]);
    expect(p.client(GET)).toEqual(["clear request", "begin 1 GET /v1/models", "acquire 1"]);
    expect(p.ready(1)).toEqual(["resume client", `send upstream ${q(GET)}`]);
    expect(p.upstream(ok("{}"))).toEqual([
      "first-byte",
      `send client ${q(ok("{}"))}`,
      "response-head 200",
      'response-body "{}"',
      "finish complete",
      "release",
      "resume client",
      "timer request 5000",
    ]);
  });

  test("the head and the body bytes that came with it go upstream in one write; the rest of the body follows as it comes", () => {
    const req = post("0123456789");
    const p = new Playbook();
    p.client(req.slice(0, -6));
    expect(p.ready(1)).toEqual(["resume client", `send upstream ${q(req.slice(0, -6))}`, 'request-body "0123"']);
    expect(p.client("456789")).toEqual(['send upstream "456789"', 'request-body "456789"']);
  });

  test("the final head goes to the client in one write with the body bytes that came with it", () => {
    const p = exchanging(GET);
    const answer = ok("0123456789");
    expect(p.upstream(answer.slice(0, -4))).toEqual(["first-byte", `send client ${q(answer.slice(0, -4))}`, "response-head 200", 'response-body "012345"']);
    expect(p.upstream("6789")).toEqual(['send client "6789"', 'response-body "6789"', "finish complete", "release", "resume client", "timer request 5000"]);
  });
});

describe("keep-alive and pipelining", () => {
  test("a second request on the connection is exchange 2, with an upstream of its own", () => {
    const p = exchanging(GET);
    p.upstream(ok(""));
    expect(p.client(GET)).toEqual(["clear request", "begin 2 GET /v1/models", "acquire 2"]);
    expect(p.ready(2)).toEqual(["resume client", `send upstream ${q(GET)}`]);
  });

  test("a pipelined request waits for the exchange before it to finish, then begins at once", () => {
    const p = new Playbook();
    expect(p.client(GET + GET)).toEqual(["clear request", "begin 1 GET /v1/models", "acquire 1"]);
    expect(p.ready(1)).toEqual(["resume client", `send upstream ${q(GET)}`]);
    expect(p.upstream(ok("a"))).toEqual([
      "first-byte",
      `send client ${q(ok("a"))}`,
      "response-head 200",
      'response-body "a"',
      "finish complete",
      "release",
      "resume client",
      "begin 2 GET /v1/models",
      "acquire 2",
    ]);
  });

  test("more pipelined bytes than the cap pause the client until the exchange ahead of them is over", () => {
    const p = exchanging(GET);
    expect(p.client("x".repeat(65))).toEqual(["pause client"]);
    expect(p.upstream(ok(""))).toContain("resume client");
  });

  test("a request body waiting for its upstream pauses the client beyond the cap", () => {
    const p = new Playbook();
    p.client(post("a".repeat(200)).slice(0, 150));
    expect(p.client("a".repeat(50))).toEqual(["pause client"]);
  });
});

describe("interim and switched responses", () => {
  test("Expect: 100-continue: the 100 reaches the client, the body goes up, the final answer follows", () => {
    const p = exchanging(post("", "Expect: 100-continue\r\n").replace("Content-Length: 0", "Content-Length: 4"));
    expect(p.upstream("HTTP/1.1 100 Continue\r\n\r\n")).toEqual(["first-byte", `send client ${q("HTTP/1.1 100 Continue\r\n\r\n")}`]);
    expect(p.client("body")).toEqual(['send upstream "body"', 'request-body "body"']);
    expect(p.upstream(ok(""))).toEqual(["first-byte", `send client ${q(ok(""))}`, "response-head 200", "finish complete", "release", "resume client", "timer request 5000"]);
  });

  test("a 100 and the final head in one read: both reach the client, in order", () => {
    const p = exchanging(GET);
    p.upstream(`HTTP/1.1 100 Continue\r\n\r\n${ok("z")}`);
    expect(p.sent("client")).toBe(`HTTP/1.1 100 Continue\r\n\r\n${ok("z")}`);
    expect(p.raw.filter((c) => c.do === "response-head")).toHaveLength(1);
  });

  test("101: the record learns what it switched to, the row is complete, and both sides are spliced with the bytes each had sent past the switch", () => {
    const up = "GET /v1/responses HTTP/1.1\r\nHost: chatgpt.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    const p = exchanging(up);
    expect(p.client("\x81\x02hi")).toEqual([]);
    const switched = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    expect(p.upstream(`${switched}\x81\x03yes`)).toEqual([
      "first-byte",
      "status 101",
      `send client ${q(switched)}`,
      "upgraded Upgrade: websocket, Connection: Upgrade",
      "finish complete",
      `splice client ${q("\x81\x03yes")} upstream ${q("\x81\x02hi")}`,
    ]);
    expect(p.machine.phase).toBe("spliced");
    expect(p.client("more")).toEqual([]);
  });
});

describe("what ends the connection after an exchange", () => {
  test("Connection: close from the provider: the upstream is closed, not pooled, and so is the client", () => {
    const p = exchanging(GET);
    expect(p.upstream(ok("", "Connection: close\r\n")).slice(-2)).toEqual(["discard", "end client"]);
  });

  test("an HTTP/1.0 client without keep-alive: the upstream is closed and the client ended", () => {
    const p = exchanging("GET / HTTP/1.0\r\nHost: api.anthropic.com\r\n\r\n");
    expect(p.upstream(ok("")).slice(-2)).toEqual(["discard", "end client"]);
  });

  test("a body until close: complete at the provider's FIN, the upstream spent", () => {
    const p = exchanging(GET);
    expect(p.upstream("HTTP/1.1 200 OK\r\n\r\nstream")).toEqual(["first-byte", `send client ${q("HTTP/1.1 200 OK\r\n\r\nstream")}`, "response-head 200", 'response-body "stream"']);
    expect(p.fin("upstream")).toEqual(["finish complete", "discard", "end client"]);
  });

  test("HEAD: the answer's Content-Length frames nothing; the exchange is over at the head", () => {
    const p = exchanging("HEAD /v1/models HTTP/1.1\r\nHost: api.anthropic.com\r\n\r\n");
    expect(p.upstream("HTTP/1.1 200 OK\r\nContent-Length: 120\r\n\r\n")).toContain("finish complete");
  });

  test("the self-test canary is answered here, never sent upstream, and closes", () => {
    const p = new Playbook();
    expect(p.client("GET /__halton-meter/self-test?nonce=abcdefgh HTTP/1.1\r\nHost: api.anthropic.com\r\n\r\n")).toEqual([
      "clear request",
      "self-test 1 200",
      expect.stringMatching(/^send client "HTTP\/1\.1 200 OK.*abcdefgh/),
      "finish complete",
      "end client",
    ]);
  });
});

describe("every split of the provider's bytes", () => {
  const answer = `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\n`;
  test("reach the client whole and in order, with one head and the same payload, complete", () => {
    for (let cut = 1; cut < answer.length; cut++) {
      const p = exchanging(GET);
      p.upstream(answer.slice(0, cut));
      p.upstream(answer.slice(cut));
      expect(p.sent("client")).toBe(answer);
      const payload = p.raw.flatMap((c) => (c.do === "response-body" ? c.payload.map((b) => Buffer.from(b).toString()) : [])).join("");
      expect(payload).toBe("hello world");
      expect(p.raw.filter((c) => c.do === "response-head")).toHaveLength(1);
      expect(p.raw.filter((c) => c.do === "finish")).toEqual([{ do: "finish", complete: true, error: null }]);
    }
  });
});
