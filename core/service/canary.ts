// One canary exchange the way a client makes it: CONNECT through the edge, TLS trusting only our
// CA, `GET /__halton-meter/self-test?nonce=...`. Only the daemon can answer it (it never goes
// upstream), so a 200 that echoes the nonce proves edge -> daemon -> interception with our CA.

import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { SELF_TEST_PATH } from "../mitm/self-test.ts";
import { VERSION } from "../version.ts";

export type CanaryResult = { ok: true } | { ok: false; stage: "edge" | "tls" | "answer"; why: string };

const FOREIGN_CERT = new Set(["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_GET_ISSUER_CERT", "CERT_SIGNATURE_FAILURE"]);

export function sendCanary(opts: { edgePort: number; host: string; caPem: string; nonce: string; timeoutMs: number }): Promise<CanaryResult> {
  return new Promise((resolve) => {
    let settled = false;
    const raw = netConnect({ host: "127.0.0.1", port: opts.edgePort });
    let secure: ReturnType<typeof tlsConnect> | undefined;
    const finish = (r: CanaryResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      secure?.destroy();
      raw.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, stage: secure ? "answer" : "edge", why: `no answer within ${opts.timeoutMs} ms` }), opts.timeoutMs);
    let head = Buffer.alloc(0);
    const onHead = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      raw.off("data", onHead);
      const statusLine = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
      if (!/^HTTP\/1\.[01] 200\b/.test(statusLine)) return finish({ ok: false, stage: "edge", why: `the edge answered CONNECT with "${statusLine}"` });
      startTls();
    };
    const startTls = () => {
      const tls = tlsConnect({ socket: raw, servername: opts.host, ca: [opts.caPem], ALPNProtocols: ["http/1.1"] });
      secure = tls;
      let answer = Buffer.alloc(0);
      tls.on("secureConnect", () => {
        tls.write(`GET ${SELF_TEST_PATH}?nonce=${opts.nonce} HTTP/1.1\r\nHost: ${opts.host}\r\nUser-Agent: halton-meter/${VERSION} self-test\r\nAccept: application/json\r\nConnection: close\r\n\r\n`);
      });
      tls.on("data", (d: Buffer) => {
        answer = Buffer.concat([answer, d]);
      });
      tls.on("end", () => {
        const text = answer.toString("utf8");
        const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
        if (status === "200" && text.includes(`"nonce":"${opts.nonce}"`)) return finish({ ok: true });
        finish({ ok: false, stage: "answer", why: `the canary got ${status ? `HTTP ${status}` : "no HTTP answer"} instead of the daemon's echo` });
      });
      tls.on("error", (e: NodeJS.ErrnoException) => {
        const why = FOREIGN_CERT.has(e.code ?? "")
          ? `${opts.host} presented a certificate not issued by our CA (${e.code}): the edge tunnelled raw instead of chaining to the daemon`
          : `TLS with the daemon failed: ${e.code ?? e.message}`;
        finish({ ok: false, stage: "tls", why });
      });
    };
    raw.on("connect", () => {
      raw.setNoDelay(true);
      raw.write(`CONNECT ${opts.host}:443 HTTP/1.1\r\nHost: ${opts.host}:443\r\nUser-Agent: halton-meter/${VERSION} self-test\r\n\r\n`);
    });
    raw.on("data", onHead);
    raw.on("error", (e: NodeJS.ErrnoException) => {
      if (secure) return;
      finish({ ok: false, stage: "edge", why: e.code === "ECONNREFUSED" ? `nothing listens on the edge port 127.0.0.1:${opts.edgePort}` : `edge connection failed: ${e.code ?? e.message}` });
    });
    raw.on("close", () => {
      if (!secure) finish({ ok: false, stage: "edge", why: "the edge closed the connection without answering CONNECT" });
    });
  });
}
