// A fake provider's script for Anthropic's POST /v1/messages with the answer chosen by the query:
//   /v1/messages                 a JSON message (Content-Length), keep-alive
//   /v1/messages?sse=N&gap=MS    an SSE stream: message_start, content_block_start, ping and the
//                                first text delta at once, then a delta every MS ms until N, then
//                                content_block_stop, message_delta (usage) and message_stop
//   ...&reset=K                  the stream stops dead (TCP reset) after K deltas
// Each delta's text carries the time it was written (`t=<epoch ms>;`, sub-ms precision, one clock
// for every process on the machine) so that a client can tell each event's lag. A request's
// `x-chaos-id` names the message (`msg_<id>`) and is echoed back; with `via`, every answer says
// which process reached the provider (`x-chaos-via: daemon | edge | other`, from the peer's /proc
// entry): metered or tunnelled. The next request on a connection waits for the stream before it.

import { readFileSync } from "node:fs";
import { pidForConnection } from "../../core/attribution/proc-net.ts";
import { blockStop, chunk, messageEnd, messageStart, ping, textBlockStart, textDelta } from "./anthropic.ts";
import type { FakeConn, Script } from "./fake-provider.ts";

export const USAGE = { input: 11, output: 7 };

/** Which process is on the other end of `conn`: the daemon, the edge, or something else. */
export function viaOf(conn: FakeConn): string {
  const pid = pidForConnection(conn.remotePort, conn.localPort);
  if (pid === null) return "other";
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (argv.some((a) => a.endsWith("halton-meter-edge"))) return "edge";
    if (argv.includes("daemon")) return "daemon";
  } catch {}
  return "other";
}

// textDelta's bytes around the stamp, made once (the stamp is ASCII: its length is its size).
const [DELTA_HEAD, DELTA_TAIL] = textDelta("STAMP").split("STAMP") as [string, string];
const stampedDelta = (): string => {
  const event = `${DELTA_HEAD}t=${(performance.timeOrigin + performance.now()).toFixed(4)};${DELTA_TAIL}`;
  return `${event.length.toString(16)}\r\n${event}\r\n`;
};

function jsonAnswer(extra: string, id: string | undefined): Buffer {
  const body = JSON.stringify({
    id: `msg_${id ?? "fake"}`,
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-20250514",
    content: [{ type: "text", text: "ok" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: USAGE.input, output_tokens: USAGE.output },
  });
  return Buffer.from(`HTTP/1.1 200 OK\r\n${extra}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

const streamStart = (id: string | undefined) => messageStart({ id: `msg_${id ?? "fake"}`, input: USAGE.input }) + textBlockStart() + ping();
/** The start of an unnamed stream, made once: the bench's time to first byte is not ours to add to. */
const PLAIN_START = chunk(streamStart(undefined));

function stream(conn: FakeConn, extra: string, id: string | undefined, n: number, gap: number, reset: number): Promise<void> {
  const start = id === undefined ? PLAIN_START : chunk(streamStart(id));
  let sent = n > 0 && reset !== 0 ? 1 : 0;
  // The head, the start and the first delta in one write: one segment, as a provider sends them.
  conn.write(`HTTP/1.1 200 OK\r\n${extra}Content-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n${start}${sent ? stampedDelta() : ""}`);
  /** Writes what is due now; false once the stream is over. */
  const next = (): boolean => {
    if (conn.closed) return false;
    if (sent === reset) {
      conn.reset();
      return false;
    }
    if (sent < n) {
      sent++;
      conn.write(stampedDelta());
      return true;
    }
    conn.write(`${chunk(blockStop() + messageEnd(n))}0\r\n\r\n`);
    return false;
  };
  if (sent >= n && sent !== reset) return Promise.resolve(void next());
  return new Promise<void>((done) => {
    const timer = setInterval(() => {
      if (next()) return;
      clearInterval(timer);
      done();
    }, gap);
  });
}

const PARAMS = { sse: /[?&]sse=(\d+)/, gap: /[?&]gap=(\d+)/, reset: /[?&]reset=(\d+)/ };
/** A number from the query, or `otherwise`. */
const param = (path: string, name: keyof typeof PARAMS, otherwise: number): number => {
  const m = PARAMS[name].exec(path);
  return m ? Number(m[1]) : otherwise;
};

/** The script; `via` costs a /proc lookup per connection (taken at its first request). */
export function messagesScript(opts: { via?: boolean } = {}): Script {
  const vias = new WeakMap<FakeConn, string>();
  const plain = jsonAnswer("", undefined);
  return function messages(req, conn) {
    const id = req.header("x-chaos-id");
    let extra = id === undefined ? "" : `x-chaos-id: ${id}\r\n`;
    if (opts.via) {
      let via = vias.get(conn);
      if (via === undefined) vias.set(conn, (via = viaOf(conn)));
      extra = `x-chaos-via: ${via}\r\n${extra}`;
    }
    const path = req.path;
    const n = path.includes("sse=") ? param(path, "sse", 0) : -1;
    if (n < 0) return conn.write(extra || id !== undefined ? jsonAnswer(extra, id) : plain);
    return stream(conn, extra, id, n, param(path, "gap", 10), param(path, "reset", -1));
  };
}
