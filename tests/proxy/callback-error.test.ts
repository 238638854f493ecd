// A socket callback that throws costs one connection, never the listener: on real loopback
// sockets wired with `forwardingHandlers`, the bug is logged as `proxy.callback_error`, the socket
// is terminated so its owner's close path runs and the client sees the end, and the listener
// goes on accepting. Also pinned: which Bun 1.4.4 callback hears which fault (the split that
// decides what is logged as a bug).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import type { Socket, TCPSocketListener } from "bun";
import { installCrashGuard } from "../../core/log/crash-guard.ts";
import { memoryLog } from "../../core/log/jsonl.ts";
import { forwardingHandlers, idleEvents, type SocketState } from "../../core/proxy/sockets.ts";
import { TestClient } from "../harness/client.ts";
import { makeTestCerts } from "../harness/fake-provider.ts";
import { makeSandbox, waitFor } from "../harness/sandbox.ts";

const log = memoryLog();
// The guard's log, on an emitter of our own: this test runner's process handlers stay as they are.
installCrashGuard(log, "edge", new EventEmitter());

/** What each accepted connection's owner saw, by the first bytes its client sent. */
const owners: Array<{ closedWith: Array<string | null> }> = [];
let listener: TCPSocketListener<SocketState>;
let throwOnOpen = false;

/** An echo server whose data callback throws on BOOM; its `open` (the owner's own) throws when told to. */
function accept(s: Socket<SocketState>): void {
  if (throwOnOpen) throw new Error("boom in open");
  const owner = { closedWith: [] as Array<string | null> };
  owners.push(owner);
  s.data = {
    on: {
      ...idleEvents(),
      data: (d) => {
        if (d.toString().includes("BOOM")) throw new Error("boom in data");
        s.write(d);
      },
      close: (err) => void owner.closedWith.push((err as NodeJS.ErrnoException | undefined)?.code ?? err?.message ?? null),
    },
  };
}

beforeAll(() => {
  listener = Bun.listen<SocketState>({ hostname: "127.0.0.1", port: 0, socket: { ...forwardingHandlers, open: accept } });
});
afterAll(() => listener.stop(true));

const connect = (port: number) => TestClient.connect(port);
/** Waits for the connection's bytes to be exactly `text`. */
const untilExactly = (c: TestClient, text: string) => c.until((b) => b.toString() === text);

const bugs = () => log.lines.filter((l) => l.event === "proxy.callback_error");

describe("a throwing callback", () => {
  test("in data: logged with the callback's name, the socket closed through its owner, the listener still serving", async () => {
    const before = owners.length;
    const c = await connect(listener.port);
    c.write("BOOM");
    await c.untilClosed();
    const owner = owners[before]!;
    // terminate() ran the owner's close at once: the bug cost this one connection.
    expect(owner.closedWith).toEqual([null]);
    expect(bugs().at(-1)).toMatchObject({ event: "proxy.callback_error", level: "error", callback: "data", error: "Error: boom in data" });
    expect((bugs().at(-1)!.stack as string[])[0]).toContain("callback-error.test.ts");

    const next = await connect(listener.port);
    next.write("hello");
    await untilExactly(next, "hello");
    next.terminate();
  });

  test("in a handler an owner put in place of the forwarding ones (a listener's open): Bun's error path, failed the same way", async () => {
    const logged = bugs().length;
    throwOnOpen = true;
    const c = await connect(listener.port);
    await c.untilClosed();
    throwOnOpen = false;
    expect(bugs().slice(logged)).toMatchObject([{ callback: "handler", error: "Error: boom in open" }]);

    const next = await connect(listener.port);
    next.write("still here");
    await untilExactly(next, "still here");
    next.terminate();
  });
});

describe("Bun 1.4.4: which callback hears which fault", () => {
  test("a peer's reset arrives at close with ECONNRESET, and is no bug", async () => {
    const logged = bugs().length;
    const before = owners.length;
    const c = await connect(listener.port);
    c.write("x");
    await untilExactly(c, "x");
    c.terminate(); // a reset: Bun's terminate() closes with SO_LINGER 0
    await waitFor(() => owners[before]!.closedWith.length > 0, "the owner to hear the close");
    expect(owners[before]!.closedWith).toEqual(["ECONNRESET"]);
    expect(bugs().length).toBe(logged);
  });

  test("a bad TLS record arrives at error with EPROTO, is no bug, and the socket still closes", async () => {
    const sb = makeSandbox("hm-callback-tls-");
    const certs = await makeTestCerts(sb.root);
    const closes: Array<string | null> = [];
    const tlsListener = Bun.listen<SocketState>({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: certs.cert, key: certs.key },
      socket: {
        ...forwardingHandlers,
        open: (s) => void (s.data = { on: { ...idleEvents(), close: (err) => void closes.push((err as NodeJS.ErrnoException | undefined)?.code ?? null) } }),
      },
    });
    try {
      const logged = bugs().length;
      // A real handshake, then a record no key can decrypt, written under the TLS layer.
      const py = `
import os, socket, ssl
ctx = ssl.create_default_context(cafile=${JSON.stringify(certs.caPath)})
t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", ${tlsListener.port})), server_hostname="api.anthropic.com")
t.sendall(b"fine")
os.write(t.fileno(), b"\\x17\\x03\\x03\\x00\\x10" + b"x" * 16)
t.settimeout(5)
try:
    while t.recv(100): pass
except (ssl.SSLError, OSError):
    pass
print("closed")
`;
      const p = sb.spawn(["python3", "-c", py]);
      const [out, code] = await Promise.all([new Response(p.stdout as ReadableStream).text(), p.exited]);
      expect([code, out.trim()]).toEqual([0, "closed"]);
      await waitFor(() => closes.length > 0, "the owner to hear the close");
      expect(closes[0]).toBe("EPROTO");
      expect(bugs().length).toBe(logged);
    } finally {
      tlsListener.stop(true);
      await sb.cleanup();
    }
  });
});
