// A raw TLS fake provider: records the exact request bytes per connection and answers each
// framed request from a per-test script. Also: test-CA generation with openssl.

import { join } from "node:path";
import type { Socket, TCPSocketListener } from "bun";
import { PROVIDER_HOSTS } from "../../core/providers/hosts.ts";

export interface FakeRequest {
  /** Head bytes exactly as received, up to and including the blank line. */
  head: Buffer;
  /** Body bytes exactly as received (chunked framing included). */
  body: Buffer;
  method: string;
  path: string;
  headers: Array<[string, string]>;
}

export interface FakeConn {
  id: number;
  /** Every byte received on this connection, in order. */
  raw: Buffer[];
  requests: FakeRequest[];
  write(data: string | Uint8Array): void;
  end(): void;
  /** After a 101: echo every further byte back raw. */
  echoRaw(): void;
}

export type Script = (req: FakeRequest, conn: FakeConn) => void | Promise<void>;

export interface FakeProvider {
  port: number;
  conns: FakeConn[];
  /** Every framed request across connections, in arrival order. */
  requests(): FakeRequest[];
  /** Concatenated raw bytes of every connection. */
  rawOf(conn: number): Buffer;
  script: Script;
  /** Whether to answer `Expect: 100-continue` with an interim 100 (default true). */
  sendContinue: boolean;
  stop(): void;
}

interface ConnState {
  conn: FakeConn;
  buf: Buffer;
  busy: Promise<void>;
  echo: boolean;
  continued: boolean;
}

function headerValue(headers: Array<[string, string]>, name: string): string | undefined {
  return headers.find(([k]) => k.toLowerCase() === name)?.[1];
}

/** Length of a complete chunked body at the start of `b`, or -1 if incomplete. */
function chunkedLength(b: Buffer): number {
  let at = 0;
  for (;;) {
    const eol = b.indexOf("\r\n", at);
    if (eol < 0) return -1;
    const size = parseInt(b.subarray(at, eol).toString("latin1").split(";")[0]!, 16);
    at = eol + 2;
    if (size === 0) {
      for (;;) {
        const e = b.indexOf("\r\n", at);
        if (e < 0) return -1;
        if (e === at) return at + 2;
        at = e + 2;
      }
    }
    if (b.length < at + size + 2) return -1;
    at += size + 2;
  }
}

export function startFakeProvider(opts: { cert: string; key: string; script?: Script }): FakeProvider {
  let nextId = 0;
  const ordered: FakeRequest[] = [];
  const fp: FakeProvider = {
    port: 0,
    conns: [],
    requests: () => ordered,
    rawOf: (i) => Buffer.concat(fp.conns[i]!.raw),
    script: opts.script ?? ((_r, c) => c.write(anthropicJson({ input: 1, output: 1 }))),
    sendContinue: true,
    stop: () => {},
  };

  const pump = (s: Socket<ConnState>): void => {
    const st = s.data;
    for (;;) {
      if (st.echo) return;
      const end = st.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = st.buf.subarray(0, end + 4);
      const lines = head.toString("latin1").split("\r\n");
      const [method = "", path = ""] = lines[0]!.split(" ");
      const headers = lines
        .slice(1)
        .filter((l) => l)
        .map((l) => {
          const i = l.indexOf(":");
          return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
        });
      const rest = st.buf.subarray(end + 4);
      let bodyLen: number;
      if (headerValue(headers, "transfer-encoding")?.toLowerCase().includes("chunked")) bodyLen = chunkedLength(rest);
      else bodyLen = Number(headerValue(headers, "content-length") ?? 0);
      const complete = bodyLen >= 0 && rest.length >= bodyLen;
      if (!complete) {
        if (fp.sendContinue && !st.continued && headerValue(headers, "expect")?.toLowerCase() === "100-continue") {
          st.continued = true;
          s.write("HTTP/1.1 100 Continue\r\n\r\n");
        }
        return;
      }
      st.continued = false;
      const req: FakeRequest = { head: Buffer.from(head), body: Buffer.from(rest.subarray(0, bodyLen)), method, path, headers };
      st.buf = Buffer.from(rest.subarray(bodyLen));
      st.conn.requests.push(req);
      ordered.push(req);
      const upgrade = headerValue(headers, "upgrade");
      st.busy = st.busy.then(() => fp.script(req, st.conn)).catch(() => st.conn.end());
      if (upgrade) {
        // Whatever followed the upgrade head is frame data: echo once the script has answered.
        const leftover = st.buf;
        st.buf = Buffer.alloc(0);
        st.busy = st.busy.then(() => {
          if (st.echo && leftover.length) s.write(leftover);
        });
        return;
      }
    }
  };

  const l: TCPSocketListener<ConnState> = Bun.listen<ConnState>({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: opts.cert, key: opts.key },
    socket: {
      open(s) {
        s.setNoDelay(true);
        const st: ConnState = { buf: Buffer.alloc(0), busy: Promise.resolve(), echo: false, continued: false, conn: undefined as unknown as FakeConn };
        st.conn = {
          id: nextId++,
          raw: [],
          requests: [],
          write: (d) => {
            // Small test payloads; still honour partial writes.
            const b = typeof d === "string" ? Buffer.from(d, "latin1") : Buffer.from(d);
            const n = s.write(b);
            if (n < b.length) pending.push(b.subarray(Math.max(n, 0)));
          },
          end: () => s.end(),
          echoRaw: () => {
            st.echo = true;
          },
        };
        const pending: Buffer[] = [];
        (st as ConnState & { pending: Buffer[] }).pending = pending;
        s.data = st;
        fp.conns.push(st.conn);
      },
      data(s, d) {
        const st = s.data;
        st.conn.raw.push(Buffer.from(d));
        if (st.echo) {
          s.write(d);
          return;
        }
        st.buf = Buffer.concat([st.buf, d]);
        pump(s);
      },
      drain(s) {
        const pending = (s.data as ConnState & { pending: Buffer[] }).pending;
        while (pending.length) {
          const b = pending[0]!;
          const n = s.write(b);
          if (n < b.length) {
            pending[0] = b.subarray(Math.max(n, 0));
            return;
          }
          pending.shift();
        }
      },
    },
  });
  fp.port = l.port;
  fp.stop = () => l.stop(true);
  return fp;
}

// ---- response builders (exact bytes) ----

export function anthropicBody(u: { input: number; output: number; model?: string }): string {
  return JSON.stringify({
    id: "msg_fake",
    type: "message",
    role: "assistant",
    model: u.model ?? "claude-sonnet-4-20250514",
    content: [{ type: "text", text: "hello from fake" }],
    stop_reason: "end_turn",
    usage: { input_tokens: u.input, output_tokens: u.output },
  });
}

export function anthropicJson(u: { input: number; output: number; model?: string }, extraHeaders = ""): string {
  const body = anthropicBody(u);
  return `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Fake: one\r\nx-fake: Two\r\n${extraHeaders}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

export function anthropicChunked(u: { input: number; output: number }): string {
  const body = anthropicBody(u);
  const a = body.slice(0, 20);
  const b = body.slice(20);
  return `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${a.length.toString(16)}\r\n${a}\r\n${b.length.toString(16)}\r\n${b}\r\n0\r\n\r\n`;
}

export const SSE_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";

export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function chunk(s: string): string {
  return `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
}

/** The Anthropic streaming events, split into [start, middle..., end]. */
export function anthropicSseEvents(u: { input: number; output: number; model?: string }): string[] {
  const model = u.model ?? "claude-sonnet-4-20250514";
  return [
    sseEvent("message_start", { type: "message_start", message: { id: "msg_fake", type: "message", role: "assistant", model, content: [], stop_reason: null, usage: { input_tokens: u.input, output_tokens: 1 } } }),
    sseEvent("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }) +
      sseEvent("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "EVENT-TWO" } }) +
      sseEvent("content_block_stop", { type: "content_block_stop", index: 0 }),
    sseEvent("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: u.output } }) + sseEvent("message_stop", { type: "message_stop" }),
  ];
}

// ---- test certificates ----

export interface TestCerts {
  dir: string;
  caPath: string;
  caPem: string;
  cert: string;
  key: string;
  /** A server cert for the same names, signed by a CA that is NOT the test CA. */
  rogueCert: string;
  rogueKey: string;
  rogueCaPath: string;
}

async function sh(argv: string[], cwd: string): Promise<void> {
  const p = Bun.spawn(argv, { cwd, stdout: "ignore", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} failed: ${err}`);
}

/** The six metered provider hosts; the fake's certificate names them all. */
export { PROVIDER_HOSTS };

const SAN = `subjectAltName=${PROVIDER_HOSTS.map((h) => `DNS:${h}`).join(",")},DNS:localhost,IP:127.0.0.1`;

async function issue(dir: string, ca: string, name: string): Promise<void> {
  await sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${ca} Test CA`, "-keyout", `${ca}.key`, "-out", `${ca}.pem`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  await sh(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.csr`], dir);
  await Bun.write(join(dir, `${name}.ext`), `${SAN}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  await sh(["openssl", "x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "2", "-extfile", `${name}.ext`, "-out", `${name}.pem`], dir);
}

export async function makeTestCerts(dir: string): Promise<TestCerts> {
  await Promise.all([issue(dir, "fakeca", "fakesrv"), issue(dir, "rogueca", "roguesrv")]);
  const read = (f: string) => Bun.file(join(dir, f)).text();
  return {
    dir,
    caPath: join(dir, "fakeca.pem"),
    caPem: await read("fakeca.pem"),
    cert: await read("fakesrv.pem"),
    key: await read("fakesrv.key"),
    rogueCert: await read("roguesrv.pem"),
    rogueKey: await read("roguesrv.key"),
    rogueCaPath: join(dir, "rogueca.pem"),
  };
}
