// The Responses API as the Codex CLI meets it, on api.openai.com (an API key) and chatgpt.com
// (a ChatGPT login, under /backend-api/codex): a real WebSocket server (Bun's) that accepts the
// permessage-deflate Codex offers and sends every message compressed, answering each
// `response.create` with the events the API streams; the same events as SSE, chunked, for
// `POST .../responses`. chatgpt.com also reports the account's limits (a `codex.rate_limits`
// message ahead of each response on a socket, `x-codex-*` headers on an SSE answer) and answers
// the workspace-routing question Codex asks before a ChatGPT login's first turn. Anything else
// (model lists, plugins) is a JSON 404, what an account without those features gets. The wire
// shapes are the ones Codex parses (codex-rs/codex-api/src/sse/responses.rs,
// endpoint/responses_websocket.rs, rate_limits.rs, and the accounts/check entry of the backend client).

import type { Server, ServerWebSocket } from "bun";

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface SeenRequest {
  method: string;
  host: string;
  path: string;
  headers: Record<string, string>;
  /** The body as sent, decoded from its Content-Encoding (Codex sends zstd to chatgpt.com). */
  body: string;
}

export interface SeenSocket {
  host: string;
  path: string;
  /** The upgrade request's headers. */
  headers: Record<string, string>;
  /** Every text message the client sent, parsed. */
  messages: Record<string, unknown>[];
}

export interface FakeResponses {
  port: number;
  requests: SeenRequest[];
  sockets: SeenSocket[];
  /** Responses answered so far (warm-ups included), over either transport. */
  readonly answered: number;
  stop(): void;
}

export interface FakeResponsesOptions {
  cert: string;
  key: string;
  /** The usage of every response. */
  usage: ResponsesUsage;
  /** The model the response names (the request's otherwise). */
  model?: string;
  text?: string;
  /** The ChatGPT workspace chatgpt.com says the login belongs to (workspace routing discovery). */
  accountId?: string;
}

export function responsesUsage(u: { input: number; cached: number; output: number; reasoning: number }): ResponsesUsage {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  };
}

const RESPONSE_PATHS = new Set(["/v1/responses", "/backend-api/codex/responses"]);
const CHATGPT = "chatgpt.com";

/** What chatgpt.com reports of a Plus account's limits, as a message and as headers. */
function rateLimitsEvent(): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    type: "codex.rate_limits",
    plan_type: "plus",
    rate_limits: {
      allowed: true,
      limit_reached: false,
      primary: { used_percent: 12, window_minutes: 300, reset_at: now + 3600 },
      secondary: { used_percent: 3, window_minutes: 10080, reset_at: now + 86_400 },
    },
    credits: { has_credits: false, unlimited: false, balance: null },
    metered_limit_name: "codex",
  };
}

function rateLimitHeaders(): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  return {
    "x-codex-primary-used-percent": "12",
    "x-codex-primary-window-minutes": "300",
    "x-codex-primary-reset-at": String(now + 3600),
    "x-codex-secondary-used-percent": "3",
    "x-codex-secondary-window-minutes": "10080",
    "x-codex-secondary-reset-at": String(now + 86_400),
  };
}

const NO_USAGE: ResponsesUsage = responsesUsage({ input: 0, cached: 0, output: 0, reasoning: 0 });

/**
 * One response's events, in the order the API sends them: a reasoning item, then the message. A
 * warm-up (`"generate": false`, what Codex sends first on a new socket) generates nothing: it is
 * created and completed with no output and, we assume, nothing billed (Codex counts none of it).
 */
function responseEvents(id: string, model: string, text: string, usage: ResponsesUsage, warmup: boolean): Record<string, unknown>[] {
  const createdAt = Math.floor(Date.now() / 1000);
  const base = { id, object: "response", created_at: createdAt, model, output: [] as unknown[], usage: null };
  let seq = 0;
  const ev = (type: string, fields: Record<string, unknown>) => ({ type, sequence_number: seq++, ...fields });
  const created = ev("response.created", { response: { ...base, status: "in_progress" } });
  if (warmup) return [created, ev("response.completed", { response: { ...base, status: "completed", usage: NO_USAGE } })];
  const reasoning = { id: `rs_${id}`, type: "reasoning", summary: [], encrypted_content: "gAAAAfake" };
  const message = { id: `msg_${id}`, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] };
  return [
    created,
    ev("response.in_progress", { response: { ...base, status: "in_progress" } }),
    ev("response.output_item.added", { output_index: 0, item: reasoning }),
    ev("response.output_item.done", { output_index: 0, item: reasoning }),
    ev("response.output_item.added", { output_index: 1, item: { ...message, status: "in_progress", content: [] } }),
    ev("response.content_part.added", { item_id: message.id, output_index: 1, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }),
    ev("response.output_text.delta", { item_id: message.id, output_index: 1, content_index: 0, delta: text }),
    ev("response.output_text.done", { item_id: message.id, output_index: 1, content_index: 0, text }),
    ev("response.content_part.done", { item_id: message.id, output_index: 1, content_index: 0, part: message.content[0] }),
    ev("response.output_item.done", { output_index: 1, item: message }),
    ev("response.completed", { response: { ...base, status: "completed", output: [reasoning, message], usage } }),
  ];
}

/** An SSE body sent event by event (chunked, as the API streams it). */
function sseBody(events: Record<string, unknown>[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const e = events.shift();
      if (e === undefined) return c.close();
      c.enqueue(enc.encode(`event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`));
      await Bun.sleep(1);
    },
  });
}

function decodeBody(bytes: Uint8Array<ArrayBuffer>, encoding: string | null): string {
  const raw = encoding === "zstd" ? Bun.zstdDecompressSync(bytes) : encoding === "gzip" ? Bun.gunzipSync(bytes) : bytes;
  return new TextDecoder().decode(raw);
}

interface SocketData {
  seen: SeenSocket;
}

export function startFakeResponses(opts: FakeResponsesOptions): FakeResponses {
  const requests: SeenRequest[] = [];
  const sockets: SeenSocket[] = [];
  let answered = 0;
  let nextId = 0;
  const text = opts.text ?? "Hi there!";

  const eventsFor = (body: Record<string, unknown>) => {
    answered++;
    return responseEvents(`resp_fake${nextId++}`, opts.model ?? String(body.model ?? "unknown"), text, opts.usage, body.generate === false);
  };

  const server: Server<SocketData> = Bun.serve<SocketData>({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: opts.cert, key: opts.key },
    async fetch(req, srv) {
      const url = new URL(req.url);
      const headers = Object.fromEntries(req.headers);
      const host = headers.host ?? url.hostname;
      if (headers.upgrade?.toLowerCase() === "websocket" && RESPONSE_PATHS.has(url.pathname)) {
        const seen: SeenSocket = { host, path: url.pathname + url.search, headers, messages: [] };
        const extra: Record<string, string> = { "x-request-id": `req_ws${sockets.length}`, ...(host === CHATGPT ? rateLimitHeaders() : {}) };
        if (srv.upgrade(req, { data: { seen }, headers: extra })) {
          sockets.push(seen);
          return undefined;
        }
        return new Response("upgrade failed", { status: 400 });
      }
      const body = decodeBody(new Uint8Array(await req.arrayBuffer()), req.headers.get("content-encoding"));
      requests.push({ method: req.method, host, path: url.pathname + url.search, headers, body });
      if (req.method === "GET" && host === CHATGPT && url.pathname === "/backend-api/wham/accounts/check" && opts.accountId) {
        // Codex asks before its first turn which backend origin serves the workspace (no residency constraint here).
        const account = { id: opts.accountId, plan_type: "plus", structure: "personal", workspace_backend_origin: "https://chatgpt.com", account_routing_override: "NO_CONSTRAINT" };
        return Response.json({ accounts: [account], account_ordering: [opts.accountId] });
      }
      if (req.method === "POST" && RESPONSE_PATHS.has(url.pathname)) {
        return new Response(sseBody(eventsFor(JSON.parse(body) as Record<string, unknown>)), {
          headers: { "content-type": "text/event-stream; charset=utf-8", "x-request-id": `req_sse${requests.length}`, ...(host === CHATGPT ? rateLimitHeaders() : {}) },
        });
      }
      return Response.json({ error: { message: `Not found: ${url.pathname}`, type: "invalid_request_error", code: "not_found" } }, { status: 404 });
    },
    websocket: {
      perMessageDeflate: true,
      message(ws: ServerWebSocket<SocketData>, message) {
        const msg = JSON.parse(String(message)) as Record<string, unknown>;
        ws.data.seen.messages.push(msg);
        if (msg.type !== "response.create") return;
        if (ws.data.seen.host === CHATGPT) ws.send(JSON.stringify(rateLimitsEvent()), true);
        for (const e of eventsFor(msg)) ws.send(JSON.stringify(e), true);
      },
    },
  });
  return {
    port: server.port!,
    requests,
    sockets,
    get answered() {
      return answered;
    },
    stop: () => server.stop(true),
  };
}
