// The chaos suite's fake provider, a process of its own so that nothing the meter does can
// touch it. HTTPS (the test CA) in Anthropic's wire format:
//   POST /v1/messages                 a JSON answer (Content-Length)
//   POST /v1/messages?sse=N&gap=MS    an SSE stream of N text deltas MS ms apart, then the end
//   ...&reset=K                       the stream stops dead after K deltas (TCP reset)
// Every answer says which process reached us (`x-chaos-via: daemon | edge | other`, from the
// peer's /proc entry), so a client knows whether its exchange was metered or tunnelled, and
// echoes the request's `x-chaos-id`.
// Prints one JSON line: {"port": N}. Usage: bun tests/chaos/_provider.ts <cert.pem> <key.pem>

import { readFileSync } from "node:fs";
import type { Socket } from "bun";
import { pidForConnection } from "../../core/attribution/proc-net.ts";

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile) throw new Error("usage: bun tests/chaos/_provider.ts <cert.pem> <key.pem>");

const MODEL = "claude-sonnet-4-20250514";
const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;

interface Conn {
  buf: Buffer;
  via: string;
  busy: boolean;
  closed: boolean;
  timer?: ReturnType<typeof setInterval>;
}

function viaOf(s: Socket<Conn>): string {
  const pid = pidForConnection(s.remotePort, s.localPort);
  if (pid === null) return "other";
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (argv.some((a) => a.endsWith("halton-meter-edge"))) return "edge";
    if (argv.includes("daemon")) return "daemon";
  } catch {}
  return "other";
}

function headers(st: Conn, id: string, extra: string): string {
  return `HTTP/1.1 200 OK\r\nx-chaos-via: ${st.via}\r\nx-chaos-id: ${id}\r\n${extra}\r\n`;
}

function json(s: Socket<Conn>, id: string): void {
  const body = JSON.stringify({
    id: `msg_${id}`,
    type: "message",
    role: "assistant",
    model: MODEL,
    content: [{ type: "text", text: "ok" }],
    stop_reason: "end_turn",
    usage: { input_tokens: 11, output_tokens: 7 },
  });
  s.write(headers(s.data, id, `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`) + body);
}

function stream(s: Socket<Conn>, id: string, n: number, gap: number, reset: number): void {
  const st = s.data;
  st.busy = true;
  const start = event("message_start", { type: "message_start", message: { id: `msg_${id}`, type: "message", role: "assistant", model: MODEL, content: [], stop_reason: null, usage: { input_tokens: 11, output_tokens: 1 } } });
  s.write(headers(st, id, "Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n") + chunk(start + event("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } })));
  let sent = 0;
  st.timer = setInterval(() => {
    if (st.closed) return clearInterval(st.timer);
    if (sent === reset) {
      clearInterval(st.timer);
      return void s.terminate();
    }
    if (sent < n) {
      sent++;
      return void s.write(chunk(event("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: `d${sent} ` } })));
    }
    clearInterval(st.timer);
    const end =
      event("content_block_stop", { type: "content_block_stop", index: 0 }) +
      event("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: n } }) +
      event("message_stop", { type: "message_stop" });
    s.write(`${chunk(end)}0\r\n\r\n`);
    st.busy = false;
    serve(s);
  }, gap);
}

function serve(s: Socket<Conn>): void {
  const st = s.data;
  while (!st.busy && !st.closed) {
    const end = st.buf.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = st.buf.subarray(0, end).toString("latin1");
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (st.buf.length < end + 4 + length) return;
    st.buf = st.buf.subarray(end + 4 + length);
    const id = /\r\nx-chaos-id:\s*([\w.-]+)/i.exec(head)?.[1] ?? "none";
    const q = new URL(head.slice(0, head.indexOf("\r\n")).split(" ")[1] ?? "/", "https://x").searchParams;
    if (q.has("sse")) stream(s, id, Number(q.get("sse")), Number(q.get("gap") ?? 20), q.has("reset") ? Number(q.get("reset")) : -1);
    else json(s, id);
  }
}

const server = Bun.listen<Conn>({
  hostname: "127.0.0.1",
  port: 0,
  tls: { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") },
  socket: {
    open(s) {
      s.setNoDelay(true);
      s.data = { buf: Buffer.alloc(0), via: viaOf(s), busy: false, closed: false };
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
