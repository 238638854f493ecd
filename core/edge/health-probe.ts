// Asks the daemon's API `GET /health` over a raw loopback socket, never through fetch():
// fetch would honour an HTTP_PROXY in our own environment, which may point at us.

import { parseResponseHead } from "../proxy/head.ts";

export type ProbeVerdict = { healthy: true } | { healthy: false; why: "refused" | "timeout" | "bad-answer" | "error" };

export function probeHealth(port: number, timeoutMs: number, host = "127.0.0.1"): Promise<ProbeVerdict> {
  return new Promise((resolve) => {
    let done = false;
    let buf = Buffer.alloc(0);
    let socket: { terminate(): void } | undefined;
    const finish = (v: ProbeVerdict) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket?.terminate();
      resolve(v);
    };
    const timer = setTimeout(() => finish({ healthy: false, why: "timeout" }), timeoutMs);
    const judge = () => {
      const head = parseResponseHead(buf);
      if (head.kind !== "ok") return head.kind === "invalid" ? finish({ healthy: false, why: "bad-answer" }) : undefined;
      if (head.head.status !== 200) return finish({ healthy: false, why: "bad-answer" });
      const body = buf.subarray(head.length).toString("utf8");
      if (/"status"\s*:\s*"ok"/.test(body)) return finish({ healthy: true });
      if (buf.length > 8192) finish({ healthy: false, why: "bad-answer" });
    };
    Bun.connect({
      hostname: host,
      port,
      socket: {
        open(s) {
          s.setNoDelay(true);
          s.write(`GET /health HTTP/1.1\r\nHost: ${host}:${port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n`);
        },
        data(_s, d) {
          buf = Buffer.concat([buf, d]);
          judge();
        },
        close() {
          judge();
          finish({ healthy: false, why: "bad-answer" });
        },
        error: () => finish({ healthy: false, why: "error" }),
        connectError: (_s, err) => finish({ healthy: false, why: (err as NodeJS.ErrnoException).code === "ECONNREFUSED" ? "refused" : "error" }),
      },
    }).then(
      (s) => {
        socket = s;
        if (done) s.terminate();
      },
      (err) => finish({ healthy: false, why: (err as NodeJS.ErrnoException).code === "ECONNREFUSED" ? "refused" : "error" }),
    );
  });
}
