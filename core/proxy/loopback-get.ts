// One GET over a raw loopback socket, never through fetch(): fetch honours an HTTP_PROXY in our
// own environment (the rc block sets one), and that may point at the edge. The edge's health
// probe and the CLI's /health reads both go through here; each says when it has seen enough.

import { parseResponseHead } from "./head.ts";

export type GetFailure = "refused" | "timeout" | "closed" | "bad-answer" | "error";
export type LoopbackResult<T> = { ok: true; value: T } | { ok: false; failure: GetFailure; message: string };

/**
 * `judge(status, body, closed)` is asked after every read and at close; it returns the value once
 * it can decide, undefined to wait for more. An answer larger than `maxBytes` is a bad answer.
 */
export function loopbackGet<T>(
  port: number,
  path: string,
  opts: { timeoutMs: number; host?: string; maxBytes?: number },
  judge: (status: number, body: Buffer, closed: boolean) => T | undefined,
): Promise<LoopbackResult<T>> {
  const host = opts.host ?? "127.0.0.1";
  const maxBytes = opts.maxBytes ?? 65_536;
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let settled = false;
    let socket: { terminate(): void } | undefined;
    const finish = (r: LoopbackResult<T>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.terminate();
      resolve(r);
    };
    const fail = (failure: GetFailure, message: string) => finish({ ok: false, failure, message });
    const failed = (e: Error) => ((e as NodeJS.ErrnoException).code === "ECONNREFUSED" ? fail("refused", `nothing listens on ${host}:${port}`) : fail("error", e.message));
    const timer = setTimeout(() => fail("timeout", `no answer from ${host}:${port} within ${opts.timeoutMs} ms`), opts.timeoutMs);
    const read = (closed: boolean) => {
      const head = parseResponseHead(buf);
      if (head.kind === "invalid") return fail("bad-answer", head.reason);
      if (head.kind === "incomplete") return closed ? fail("closed", `${host}:${port} closed without answering`) : undefined;
      const value = judge(head.head.status, buf.subarray(head.length), closed);
      if (value !== undefined) return finish({ ok: true, value });
      if (closed || buf.length > maxBytes) fail("bad-answer", `${host}:${port} sent an answer that is not what ${path} says`);
    };
    Bun.connect({
      hostname: host,
      port,
      socket: {
        open(s) {
          s.setNoDelay(true);
          s.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n`);
        },
        data(_s, d) {
          buf = Buffer.concat([buf, d]);
          read(false);
        },
        close: () => read(true),
        error: (_s, e) => failed(e),
        connectError: (_s, e) => failed(e),
      },
    }).then(
      (s) => {
        socket = s;
        if (settled) s.terminate();
      },
      failed,
    );
  });
}
