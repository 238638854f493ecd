// The Responses API over a WebSocket (Codex CLI's default transport): the client sends a
// `response.create` message per turn, and the server answers with the very events the HTTP API
// streams as SSE, ending in `response.completed`, `response.failed`, `response.incomplete` or an
// `error`. One response at a time per socket. Pure: whole decoded messages in, the lifecycle of
// each response out; the shell stamps the times and feeds the events to the Responses adapter.

export type TurnCommand =
  /** A `response.create`: a new exchange, the message as its request body. */
  | { do: "begin"; request: Uint8Array }
  /** A server event of the open exchange, for its adapter. */
  | { do: "event"; data: Uint8Array }
  /** `status`: what the HTTP API would have answered; an `error` event's own status when it has one. */
  | { do: "finish"; complete: boolean; status: number | null; error: string | null }
  /** Codex's in-stream snapshot of the account's limits (`codex.rate_limits`), as sent. */
  | { do: "rate-limits"; snapshot: Record<string, unknown> };

const TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete"]);

/** A leading `"type":"..."` (how OpenAI and Codex serialize every event), without parsing a large message. */
const LEADING_TYPE = /^\s*\{\s*"type"\s*:\s*"([^"\\]{1,80})"/;

export class ResponsesSocket {
  private open = false;

  /** A text message from the client. */
  client(message: Uint8Array): TurnCommand[] {
    if (typeOf(message) !== "response.create") return [];
    const out: TurnCommand[] = [];
    if (this.open) out.push({ do: "finish", complete: false, status: null, error: "a new response.create came before this response finished" });
    this.open = true;
    out.push({ do: "begin", request: message });
    return out;
  }

  /** A text message from the server. */
  server(message: Uint8Array): TurnCommand[] {
    const type = typeOf(message);
    if (type === "codex.rate_limits") {
      const snapshot = parse(message);
      return snapshot ? [{ do: "rate-limits", snapshot }] : [];
    }
    if (!this.open) return [];
    const out: TurnCommand[] = [{ do: "event", data: message }];
    if (type !== null && TERMINAL.has(type)) {
      this.open = false;
      out.push({ do: "finish", complete: true, status: 200, error: null });
    } else if (type === "error") {
      this.open = false;
      const status = parse(message)?.status;
      out.push({ do: "finish", complete: true, status: typeof status === "number" && Number.isInteger(status) ? status : null, error: null });
    }
    return out;
  }

  /** The socket closed (a close frame, or the connection), or its stream became unreadable. */
  ended(why: string): TurnCommand[] {
    if (!this.open) return [];
    this.open = false;
    return [{ do: "finish", complete: false, status: null, error: why }];
  }
}

function typeOf(message: Uint8Array): string | null {
  const lead = LEADING_TYPE.exec(Buffer.from(message.buffer, message.byteOffset, Math.min(message.length, 256)).toString("latin1"));
  if (lead) return lead[1]!;
  const type = parse(message)?.type;
  return typeof type === "string" ? type : null;
}

function parse(message: Uint8Array): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(message.buffer, message.byteOffset, message.length).toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
