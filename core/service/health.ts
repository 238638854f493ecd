// The daemon's `GET /health` answer, read over a raw loopback socket: fetch() would honour an
// HTTP_PROXY in our own environment (the rc block sets one), and that may point at the edge.

import { parseResponseHead } from "../proxy/head.ts";

export interface HealthAnswer {
  status: string;
  version?: string;
  pid?: number;
  uptime_s?: number;
}

export type HealthResult = { ok: true; answer: HealthAnswer } | { ok: false; why: string };

export function fetchHealth(port: number, timeoutMs = 1000): Promise<HealthResult> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let settled = false;
    let socket: { terminate(): void } | undefined;
    const finish = (r: HealthResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, why: `no answer from 127.0.0.1:${port} within ${timeoutMs} ms` }), timeoutMs);
    const judge = (closed: boolean) => {
      const head = parseResponseHead(buf);
      if (head.kind === "invalid") return finish({ ok: false, why: `127.0.0.1:${port} is not the daemon's API (${head.reason})` });
      if (head.kind === "incomplete") return closed ? finish({ ok: false, why: `127.0.0.1:${port} closed without answering` }) : undefined;
      if (head.head.status !== 200) return finish({ ok: false, why: `/health answered ${head.head.status}` });
      const body = buf.subarray(head.length).toString("utf8");
      try {
        const answer = JSON.parse(body) as HealthAnswer;
        if (answer.status === "ok") return finish({ ok: true, answer });
        return finish({ ok: false, why: `/health says ${JSON.stringify(answer.status)}` });
      } catch {
        if (closed) finish({ ok: false, why: "/health answered something that is not JSON" });
      }
    };
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          s.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n`);
        },
        data(_s, d) {
          buf = Buffer.concat([buf, d]);
          judge(false);
        },
        close: () => judge(true),
        error: (_s, e) => finish({ ok: false, why: e.message }),
        connectError: (_s, e) => finish({ ok: false, why: (e as NodeJS.ErrnoException).code === "ECONNREFUSED" ? `nothing listens on 127.0.0.1:${port} (daemon not running)` : e.message }),
      },
    }).then(
      (s) => {
        socket = s;
        if (settled) s.terminate();
      },
      (e: Error) => finish({ ok: false, why: (e as NodeJS.ErrnoException).code === "ECONNREFUSED" ? `nothing listens on 127.0.0.1:${port} (daemon not running)` : e.message }),
    );
  });
}

/** Polls /health every `intervalMs` until it answers or `timeoutMs` passes (seed 001: 500 ms, 30 s). */
export async function waitHealthy(port: number, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<HealthResult> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const r = await fetchHealth(port);
    if (r.ok || Date.now() + (opts.intervalMs ?? 500) > deadline) return r;
    await Bun.sleep(opts.intervalMs ?? 500);
  }
}
