// The fake provider for bench/run.ts, in its own process so it never shares an event loop with
// the clients being timed. HTTPS (the test CA's certificate) speaking Anthropic's wire format:
//   POST /v1/messages            a small JSON answer (Content-Length), keep-alive
//   POST /v1/messages?sse=N&gap=MS
//                                an SSE stream: message_start at once, then N text deltas MS ms
//                                apart, each carrying the time it was written at (epoch ms with
//                                sub-ms precision: comparable across processes on one machine),
//                                then message_delta and message_stop
// Prints one JSON line: {"port": N}.
// Usage: bun bench/_provider.ts <cert.pem> <key.pem>

import { readFileSync } from "node:fs";
import type { Socket } from "bun";

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile) throw new Error("usage: bun bench/_provider.ts <cert.pem> <key.pem>");

const MODEL = "claude-sonnet-4-20250514";
const small = JSON.stringify({
  id: "msg_bench",
  type: "message",
  role: "assistant",
  model: MODEL,
  content: [{ type: "text", text: "ok" }],
  stop_reason: "end_turn",
  usage: { input_tokens: 12, output_tokens: 3 },
});
const SMALL = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(small)}\r\n\r\n${small}`);
const SSE_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
const delta = () => event("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: `t=${(performance.timeOrigin + performance.now()).toFixed(4)};` } });
const START =
  event("message_start", { type: "message_start", message: { id: "msg_bench", type: "message", role: "assistant", model: MODEL, content: [], stop_reason: null, usage: { input_tokens: 12, output_tokens: 1 } } }) +
  event("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
const END =
  event("content_block_stop", { type: "content_block_stop", index: 0 }) +
  event("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 20 } }) +
  event("message_stop", { type: "message_stop" });

interface Conn {
  buf: Buffer;
  /** The SSE stream in progress, if any: the next request waits for it. */
  timer?: ReturnType<typeof setInterval>;
  closed: boolean;
}

// Answers are a few KB at most: a partial write here would be a bench bug worth seeing.
function send(s: Socket<Conn>, data: string | Buffer): void {
  const b = typeof data === "string" ? Buffer.from(data) : data;
  const n = s.write(b);
  if (n !== b.length && !s.data.closed) console.error(`provider: short write ${n}/${b.length}`);
}

function stream(s: Socket<Conn>, n: number, gap: number): void {
  send(s, SSE_HEAD + chunk(START + delta()));
  let sent = 1;
  const next = () => {
    if (s.data.closed) return void clearInterval(s.data.timer);
    if (sent < n) {
      sent++;
      return send(s, chunk(delta()));
    }
    clearInterval(s.data.timer);
    s.data.timer = undefined;
    send(s, `${chunk(END)}0\r\n\r\n`);
    serve(s);
  };
  if (n <= 1) return next();
  s.data.timer = setInterval(next, gap);
}

/** Answers every complete request in the buffer, one at a time. */
function serve(s: Socket<Conn>): void {
  const st = s.data;
  while (!st.timer) {
    const end = st.buf.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = st.buf.subarray(0, end).toString("latin1");
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (st.buf.length < end + 4 + length) return;
    st.buf = st.buf.subarray(end + 4 + length);
    const target = head.slice(0, head.indexOf("\r\n")).split(" ")[1] ?? "/";
    const q = new URL(target, "https://x").searchParams;
    if (q.has("sse")) stream(s, Number(q.get("sse")), Number(q.get("gap") ?? 10));
    else send(s, SMALL);
  }
}

const server = Bun.listen<Conn>({
  hostname: "127.0.0.1",
  port: 0,
  tls: { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") },
  socket: {
    open(s) {
      s.setNoDelay(true);
      s.data = { buf: Buffer.alloc(0), closed: false };
    },
    data(s, d) {
      s.data.buf = s.data.buf.length ? Buffer.concat([s.data.buf, d]) : d;
      serve(s);
    },
    close(s) {
      s.data.closed = true;
      clearInterval(s.data.timer);
    },
  },
});

console.log(JSON.stringify({ port: server.port }));
