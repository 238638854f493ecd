// Anthropic's Messages API on the wire, as exact bytes for the fake providers: the JSON message,
// and the SSE stream (message_start, content_block_start, ping, content_block_delta...,
// content_block_stop, message_delta with the usage, message_stop), the shapes of the recorded
// fixtures in tests/providers/fixtures/anthropic-*.

export const MODEL = "claude-sonnet-4-20250514";

export interface Usage {
  input: number;
  output: number;
  model?: string;
  /** The message id (default msg_fake). */
  id?: string;
  /** The text of the answer (default "hello from fake"). */
  text?: string;
}

export function anthropicBody(u: Usage): string {
  return JSON.stringify({
    id: u.id ?? "msg_fake",
    type: "message",
    role: "assistant",
    model: u.model ?? MODEL,
    content: [{ type: "text", text: u.text ?? "hello from fake" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: u.input, output_tokens: u.output },
  });
}

/** A whole 200 answer with a Content-Length (and two spellings of one header name, kept apart by the proxy). */
export function anthropicJson(u: Usage, extraHeaders = ""): string {
  const body = anthropicBody(u);
  return `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Fake: one\r\nx-fake: Two\r\n${extraHeaders}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** The same body in two chunks. */
export function anthropicChunked(u: Usage): string {
  const body = anthropicBody(u);
  const a = body.slice(0, 20);
  const b = body.slice(20);
  return `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${a.length.toString(16)}\r\n${a}\r\n${b.length.toString(16)}\r\n${b}\r\n0\r\n\r\n`;
}

export const SSE_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";

export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** One HTTP chunk (its size in UTF-8 bytes). */
export function chunk(s: string): string {
  return `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
}

export function messageStart(u: Omit<Usage, "output">): string {
  const message = { id: u.id ?? "msg_fake", type: "message", role: "assistant", model: u.model ?? MODEL, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: u.input, output_tokens: 1 } };
  return sseEvent("message_start", { type: "message_start", message });
}

export const textBlockStart = (index = 0) => sseEvent("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
export const ping = () => sseEvent("ping", { type: "ping" });
export const textDelta = (text: string, index = 0) => sseEvent("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text } });
export const blockStop = (index = 0) => sseEvent("content_block_stop", { type: "content_block_stop", index });

/** message_delta with the final usage, then message_stop. */
export function messageEnd(output: number): string {
  return sseEvent("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: output } }) + sseEvent("message_stop", { type: "message_stop" });
}

/** The Anthropic streaming events, split into [start, middle, end]; the middle's text is EVENT-TWO. */
export function anthropicSseEvents(u: Usage): string[] {
  return [messageStart(u), textBlockStart() + textDelta("EVENT-TWO") + blockStop(), messageEnd(u.output)];
}
