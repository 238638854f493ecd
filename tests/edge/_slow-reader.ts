// Helpers for the edge process tests: a child's stdout as text, and a deliberately slow reader.

import { createHash } from "node:crypto";
import type { Socket, Subprocess } from "bun";

/** Accumulates a child's stdout as text. */
export function collect(p: Subprocess): { text: string } {
  const out = { text: "" };
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of p.stdout as ReadableStream<Uint8Array>) out.text += decoder.decode(chunk, { stream: true });
  })();
  return out;
}

/**
 * CONNECTs through the edge and reads `total` bytes slowly: after every 2 MiB the socket is
 * paused for 25 ms, so the reader averages well under the sender's speed and the edge must
 * apply backpressure (or buffer hundreds of megabytes).
 */
export function slowRead(port: number, target: string, total: number): Promise<{ bytes: number; sha: string; pauses: number }> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    let head = Buffer.alloc(0);
    let established = false;
    let bytes = 0;
    let sinceBreak = 0;
    let pauses = 0;
    const finish = () => resolve({ bytes, sha: hash.digest("hex"), pauses });
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          s.setNoDelay(true);
          s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
        },
        data(s: Socket<undefined>, d) {
          let chunk: Buffer = d;
          if (!established) {
            head = Buffer.concat([head, d]);
            const end = head.indexOf("\r\n\r\n");
            if (end < 0) return;
            if (!head.subarray(0, 12).toString().startsWith("HTTP/1.1 200")) return reject(new Error(`CONNECT refused: ${head.toString()}`));
            established = true;
            chunk = head.subarray(end + 4);
          }
          hash.update(chunk);
          bytes += chunk.length;
          sinceBreak += chunk.length;
          if (sinceBreak >= 2 * 1024 * 1024 && bytes < total) {
            sinceBreak = 0;
            pauses++;
            s.pause();
            setTimeout(() => s.resume(), 25);
          }
        },
        close: finish,
        end(s) {
          s.end();
        },
        connectError: (_s, e) => reject(e),
        error: (_s, e) => reject(e),
      },
    }).catch(reject);
  });
}
