// The one raw TCP client of the tests: connect on loopback, write, then await bytes (a condition,
// the server's close, or a deadline). Scripted transcripts use TestClient; a one-shot "send this,
// collect the answer" is `exchange`; a CONNECT tunnel through a proxy is `connectThrough`.

import type { Socket } from "bun";

const shown = (b: Buffer) => JSON.stringify(b.toString("latin1").slice(0, 200));

export class TestClient {
  buf: Buffer = Buffer.alloc(0);
  /** The server ended the connection (FIN, close or reset). */
  closed = false;
  private waiters: Array<() => void> = [];
  readonly localPort: number;
  private constructor(readonly socket: Socket<unknown>) {
    this.localPort = socket.localPort;
  }

  static connect(port: number): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      let client: TestClient;
      const gone = () => {
        client.closed = true;
        client.wake();
      };
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
            gone();
          },
          close: gone,
          error: gone,
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

  /** Sends a FIN and keeps reading. */
  halfClose(): void {
    this.socket.shutdown();
  }

  /** Waits until the received bytes satisfy `pred`, the server closes, or `timeoutMs` passes; says which came first. */
  async settle(pred: (buf: Buffer) => boolean, timeoutMs = 5000): Promise<"met" | "closed" | "timeout"> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (pred(this.buf)) return "met";
      if (this.closed) return "closed";
      const left = deadline - Date.now();
      if (left <= 0) return "timeout";
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Resolves once the received bytes satisfy `pred`, or rejects on close/timeout. */
  async until(pred: (buf: Buffer) => boolean, timeoutMs = 5000): Promise<Buffer> {
    const got = await this.settle(pred, timeoutMs);
    if (got === "closed") throw new Error(`connection closed (local port ${this.localPort}); received ${shown(this.buf)}`);
    if (got === "timeout") throw new Error(`timed out; received ${shown(this.buf)}`);
    return this.buf;
  }

  untilText(text: string, timeoutMs?: number): Promise<Buffer> {
    return this.until((b) => b.includes(text), timeoutMs);
  }

  async untilClosed(timeoutMs = 5000): Promise<Buffer> {
    if ((await this.settle(() => false, timeoutMs)) === "timeout") throw new Error(`timed out waiting for close; received ${shown(this.buf)}`);
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

  /** Stops dead (the peer sees a reset). */
  terminate(): void {
    this.socket.terminate();
  }
}

export interface Outcome {
  bytes: Buffer;
  /** The server ended the connection before the client stopped waiting. */
  closed: boolean;
}

export interface ExchangeOptions {
  /** How long to wait for the server to close (default 5 s); the outcome then says closed: false. */
  timeoutMs?: number;
  /** Stop waiting (closed: false) as soon as the bytes satisfy this: for servers that keep the connection. */
  until?: (got: Buffer) => boolean;
  /** Send a FIN after the payload. */
  halfClose?: boolean;
  /** Keep sending this every `dribbleMs` until the server closes (slowloris). */
  dribble?: string;
  dribbleMs?: number;
}

/** Connects, sends `payload`, collects every byte until the server closes, `until` holds, or the deadline; then lets go. */
export async function exchange(port: number, payload: string | Uint8Array, opts: ExchangeOptions = {}): Promise<Outcome> {
  const c = await TestClient.connect(port);
  c.write(payload);
  if (opts.halfClose) c.halfClose();
  const dribbler = opts.dribble === undefined ? undefined : setInterval(() => c.closed || c.write(opts.dribble!), opts.dribbleMs ?? 50);
  try {
    const got = await c.settle(opts.until ?? (() => false), opts.timeoutMs);
    return { bytes: c.buf, closed: got === "closed" };
  } finally {
    clearInterval(dribbler);
    if (!c.closed) c.terminate();
  }
}

/** Bytes that end at the first blank line: a whole answer head. */
export const hasHead = (b: Buffer) => b.includes("\r\n\r\n");

/** CONNECT through a proxy port; resolves once the 200 arrives (answer consumed). */
export async function connectThrough(proxyPort: number, target: string): Promise<TestClient> {
  const c = await TestClient.connect(proxyPort);
  c.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
  const got = await c.until(hasHead);
  if (!got.toString("latin1").startsWith("HTTP/1.1 200")) {
    c.terminate();
    throw new Error(`CONNECT refused: ${got.toString("latin1")}`);
  }
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
