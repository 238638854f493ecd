// A keep-alive HTTPS client in this process: CONNECT through a proxy port, TLS to
// api.anthropic.com inside the tunnel (Bun's client-side upgradeTLS), then one request after
// another on that one connection. Fast enough to drive a thousand exchanges in a test.

import type { Socket } from "bun";

export class KeepAliveClient {
  private buf = Buffer.alloc(0);
  private closed = false;
  private wake: () => void = () => {};

  private constructor(private readonly tls: Socket<undefined>) {}

  static open(proxyPort: number, ca: string, host = "api.anthropic.com"): Promise<KeepAliveClient> {
    return new Promise((resolve, reject) => {
      let head = Buffer.alloc(0);
      let upgraded = false;
      Bun.connect({
        hostname: "127.0.0.1",
        port: proxyPort,
        socket: {
          open: (raw) => {
            raw.setNoDelay(true);
            raw.write(`CONNECT ${host}:443 HTTP/1.1\r\nHost: ${host}:443\r\n\r\n`);
          },
          data: (raw, d) => {
            if (upgraded) return; // ciphertext of the upgraded socket
            head = Buffer.concat([head, d]);
            if (head.indexOf("\r\n\r\n") < 0) return;
            if (!head.toString("latin1").startsWith("HTTP/1.1 200")) return reject(new Error(`CONNECT refused: ${head.toString("latin1")}`));
            upgraded = true;
            let client: KeepAliveClient;
            const [, tls] = raw.upgradeTLS<undefined>({
              tls: { ca, serverName: host },
              data: undefined,
              socket: {
                handshake: (_s, ok, err) => (ok ? resolve(client) : reject(err ?? new Error("TLS handshake failed"))),
                data: (_s, chunk) => {
                  client.buf = Buffer.concat([client.buf, chunk]);
                  client.wake();
                },
                close: () => {
                  client.closed = true;
                  client.wake();
                },
              },
            });
            client = new KeepAliveClient(tls);
          },
          close: () => {
            if (!upgraded) reject(new Error("proxy closed the connection before answering CONNECT"));
          },
          connectError: (_s, e) => reject(e),
        },
      }).catch(reject);
    });
  }

  /** Sends `request` and resolves with exactly `answerBytes` bytes of answer. */
  async exchange(request: string, answerBytes: number, timeoutMs = 10_000): Promise<Buffer> {
    this.tls.write(request);
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < answerBytes) {
      if (this.closed) throw new Error(`closed after ${this.buf.length} of ${answerBytes} bytes: ${JSON.stringify(this.buf.toString("latin1").slice(0, 120))}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${this.buf.length} of ${answerBytes} bytes`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, deadline - Date.now());
        this.wake = () => (clearTimeout(t), r());
      });
    }
    const answer = this.buf.subarray(0, answerBytes);
    this.buf = this.buf.subarray(answerBytes);
    return answer;
  }

  close(): void {
    this.tls.end();
  }
}
