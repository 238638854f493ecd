// A scriptable TCP client: write, then await bytes. For proxy transcripts on loopback.

import type { Socket } from "bun";

export class TestClient {
  buf: Buffer = Buffer.alloc(0);
  closed = false;
  private waiters: Array<() => void> = [];
  readonly localPort: number;
  private constructor(readonly socket: Socket<unknown>) {
    this.localPort = socket.localPort;
  }

  static connect(port: number): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      let client: TestClient;
      Bun.connect({
        hostname: "127.0.0.1",
        port,
        allowHalfOpen: true,
        socket: {
          open(s) {
            s.setNoDelay(true);
            client = new TestClient(s);
            resolve(client);
          },
          data(_s, d) {
            client.buf = Buffer.concat([client.buf, d]);
            client.wake();
          },
          end(s) {
            s.end();
          },
          close() {
            client.closed = true;
            client.wake();
          },
          connectError: (_s, e) => reject(e),
        },
      }).catch(reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Resolves once the received bytes satisfy `pred`, or rejects on close/timeout. */
  async until(pred: (buf: Buffer) => boolean, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.buf)) {
      if (this.closed) throw new Error(`connection closed (local port ${this.localPort}); received ${JSON.stringify(this.buf.toString("latin1").slice(0, 200))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; received ${JSON.stringify(this.buf.toString("latin1").slice(0, 200))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.buf;
  }

  untilText(text: string, timeoutMs?: number): Promise<Buffer> {
    return this.until((b) => b.includes(text), timeoutMs);
  }

  async untilClosed(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("timed out waiting for close");
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.buf;
  }

  /** Drops what was received so far (e.g. after the CONNECT answer). */
  consume(): Buffer {
    const b = this.buf;
    this.buf = Buffer.alloc(0);
    return b;
  }

  close(): void {
    this.socket.end();
  }
}

/** CONNECT through a proxy port; resolves once the 200 arrives (answer consumed). */
export async function connectThrough(proxyPort: number, target: string): Promise<TestClient> {
  const c = await TestClient.connect(proxyPort);
  c.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
  const got = await c.untilText("\r\n\r\n");
  if (!got.toString("latin1").startsWith("HTTP/1.1 200")) throw new Error(`CONNECT refused: ${got.toString("latin1")}`);
  c.buf = got.subarray(got.indexOf("\r\n\r\n") + 4);
  return c;
}

/** A tunnel through the proxy to an echo server: `payload` comes back whole, or this throws. */
export async function echoesThrough(proxyPort: number, target: string, payload = "ping"): Promise<void> {
  const c = await connectThrough(proxyPort, target);
  try {
    c.write(payload);
    const got = await c.until((b) => b.length >= payload.length);
    if (got.toString() !== payload) throw new Error(`the tunnel returned ${JSON.stringify(got.toString().slice(0, 200))}, not ${JSON.stringify(payload)}`);
  } finally {
    c.close();
  }
}
