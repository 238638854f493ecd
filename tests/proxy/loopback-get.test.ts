import { afterAll, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { loopbackGet } from "../../core/proxy/loopback-get.ts";
import { freePort } from "../harness/sandbox.ts";

// The raw loopback GET behind the edge's health probe and the CLI's /health reads: each way a
// peer can fail is named, and the judge decides as soon as it has seen enough.

const servers: TCPSocketListener[] = [];
afterAll(() => {
  for (const s of servers) s.stop(true);
});

/** A server that answers every connection with `reply` (then closes, if `close`), or never. */
function serve(reply: string | null, close = true): number {
  const l = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(s) {
        if (reply === null) return;
        s.write(reply);
        if (close) s.end();
      },
    },
  });
  servers.push(l);
  return l.port;
}

const okJudge = (status: number, body: Buffer) => (status === 200 && body.toString().includes('"ok"') ? "healthy" : undefined);

test("an answer the judge accepts resolves with its value, even before the server closes", async () => {
  const port = serve('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"status":"ok"}', false);
  expect(await loopbackGet(port, "/health", { timeoutMs: 2000 }, okJudge)).toEqual({ ok: true, value: "healthy" });
});

test("refused, timeout, closed, not HTTP, and an answer the judge never accepts are each named", async () => {
  const refused = await loopbackGet(freePort(), "/health", { timeoutMs: 2000 }, okJudge);
  expect(refused).toMatchObject({ ok: false, failure: "refused" });
  expect(await loopbackGet(serve(null), "/health", { timeoutMs: 100 }, okJudge)).toMatchObject({ ok: false, failure: "timeout", message: expect.stringContaining("within 100 ms") });
  expect(await loopbackGet(serve(""), "/health", { timeoutMs: 2000 }, okJudge)).toMatchObject({ ok: false, failure: "closed" });
  expect(await loopbackGet(serve("SSH-2.0-OpenSSH\r\n\r\n"), "/health", { timeoutMs: 2000 }, okJudge)).toMatchObject({ ok: false, failure: "bad-answer" });
  expect(await loopbackGet(serve('HTTP/1.1 200 OK\r\n\r\n{"status":"starting"}'), "/health", { timeoutMs: 2000 }, okJudge)).toMatchObject({ ok: false, failure: "bad-answer" });
});

test("an endless answer is cut at maxBytes", async () => {
  const port = serve(`HTTP/1.1 200 OK\r\n\r\n${"x".repeat(20_000)}`, false);
  expect(await loopbackGet(port, "/health", { timeoutMs: 2000, maxBytes: 8192 }, okJudge)).toMatchObject({ ok: false, failure: "bad-answer" });
});

test("an HTTP_PROXY in our environment is never used", async () => {
  const before = process.env.HTTP_PROXY;
  process.env.HTTP_PROXY = `http://127.0.0.1:${freePort()}`;
  try {
    const port = serve('HTTP/1.1 200 OK\r\n\r\n{"status":"ok"}');
    expect(await loopbackGet(port, "/health", { timeoutMs: 2000 }, okJudge)).toEqual({ ok: true, value: "healthy" });
  } finally {
    if (before === undefined) delete process.env.HTTP_PROXY;
    else process.env.HTTP_PROXY = before;
  }
});
