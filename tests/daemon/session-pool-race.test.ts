import { expect, test } from "bun:test";
import { memoryLog } from "../../core/log/jsonl.ts";
import { MitmSession } from "../../core/mitm/session.ts";
import { UpstreamPool } from "../../core/mitm/upstream.ts";
import { Dialer } from "../../core/proxy/dialer.ts";
import { Outbox } from "../../core/proxy/outbox.ts";
import { idleEvents, type Sock } from "../../core/proxy/sockets.ts";
import { TlsDialer } from "../../core/proxy/tls-dialer.ts";
import { freePort, waitFor } from "../harness/sandbox.ts";

// The first request of a connection waits for its caller's pid. A provider that closes its end of
// a pooled keep-alive connection during that wait must not leave the exchange waiting for good:
// the connection is taken from the pool only once the wait is over, so the pool has dropped it,
// and the exchange dials afresh (here: refused, so a 502 and its row).

function fakeUpstream() {
  const s = {
    closed: false,
    data: { on: idleEvents() },
    write: (d: Uint8Array) => (s.closed ? -1 : d.length),
    pause() {},
    resume() {},
    end() {},
    terminate() {
      if (s.closed) return;
      s.closed = true;
      s.data.on.close();
    },
  };
  return s;
}

function fakeClient() {
  const c = {
    got: "",
    ended: false,
    data: { on: idleEvents() },
    write: (d: Uint8Array) => ((c.got += Buffer.from(d).toString("latin1")), d.length),
    pause() {},
    resume() {},
    end: () => void (c.ended = true),
    terminate() {},
  };
  return c;
}

async function firstRequest(closeWhile: "waiting" | "after") {
  const host = "api.example.test";
  // Nothing listens there: a fresh dial is refused at once, on loopback.
  const pool = new UpstreamPool(new TlsDialer(new Dialer({ resolve: { [host]: `127.0.0.1:${freePort()}` }, connectTimeoutMs: 1000 })));
  const up = fakeUpstream();
  pool.release({ key: `${host}:443`, socket: up as unknown as Sock, out: new Outbox((d) => up.write(d)), reused: false, closed: false });
  let ready!: () => void;
  const rows: unknown[] = [];
  const client = fakeClient();
  new MitmSession(client as unknown as Sock, {
    host,
    port: 443,
    pool,
    log: memoryLog(),
    now: Date.now,
    observe: () => null,
    hooks: Promise.resolve({ onExchange: (r) => void rows.push(r), bodyCapture: null }),
    ready: new Promise<void>((r) => (ready = r)),
    bodyMaxBytes: 0,
    headTimeoutMs: 5000,
    idleTimeoutMs: 5000,
  });
  client.data.on.data(Buffer.from(`GET /v1/models HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
  await Promise.resolve();
  if (closeWhile === "waiting") up.data.on.end(); // the provider's keep-alive FIN, during the pid lookup
  ready();
  if (closeWhile === "after") {
    // Taking an idle connection settles within the microtasks: one macrotask later the exchange holds it.
    await Bun.sleep(0);
    up.data.on.end();
  }
  await waitFor(() => rows.length > 0, "the exchange's row", 3000);
  return { rows: rows.length, status: client.got.split("\r\n")[0] };
}

test("the provider closes the pooled connection while the first request waits for its pid: a 502 and a row, not a hang", async () => {
  expect(await firstRequest("waiting")).toEqual({ rows: 1, status: "HTTP/1.1 502 Bad Gateway" });
});

test("and when it closes once the exchange holds the connection: the same", async () => {
  expect(await firstRequest("after")).toEqual({ rows: 1, status: "HTTP/1.1 502 Bad Gateway" });
});
