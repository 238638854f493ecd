// Responses over a WebSocket, from the relay's copies to rows: the recorder (with the real
// Responses adapter) after a 101, fed client and server frames as the tap sees them. No sockets.

import { describe, expect, test } from "bun:test";
import { memoryLog } from "../../core/log/jsonl.ts";
import { Recorder } from "../../core/mitm/recorder.ts";
import { createObserver } from "../../core/providers/index.ts";
import type { SpliceTap } from "../../core/proxy/sockets.ts";
import type { ExchangeRecord } from "../../core/usage/types.ts";
import type { RawHeaders } from "../../core/http/types.ts";
import { Compressor, text } from "../ws/_encode.ts";

const HANDSHAKE: RawHeaders = [
  ["Host", "api.openai.com"],
  ["Upgrade", "websocket"],
  ["Connection", "Upgrade"],
  ["Sec-WebSocket-Version", "13"],
  ["originator", "codex_exec"],
];
const SWITCHED: RawHeaders = [["Upgrade", "websocket"], ["Connection", "Upgrade"]];
const usage = { input_tokens: 5000, input_tokens_details: { cached_tokens: 4000, cache_write_tokens: 500 }, output_tokens: 300, output_tokens_details: { reasoning_tokens: 120 }, total_tokens: 5300 };

function upgradedRecorder(opts: { host?: string; target?: string; response?: RawHeaders } = {}) {
  let clock = 1_000;
  const rows: ExchangeRecord[] = [];
  const host = opts.host ?? "api.openai.com";
  const rec = new Recorder({
    host,
    log: memoryLog(),
    now: () => clock,
    observe: (head) => createObserver(head),
    hooks: Promise.resolve({ onExchange: (r: ExchangeRecord) => void rows.push(r), bodyCapture: null }),
    bodyMaxBytes: 1 << 20,
    newId: (() => {
      let n = 0;
      return () => `ex-${++n}`;
    })(),
  });
  const target = opts.target ?? "/v1/responses";
  rec.apply({ do: "begin", n: 1, head: { method: "GET", target, version: "HTTP/1.1", headers: HANDSHAKE } as never, headBytes: Buffer.from(`GET ${target} HTTP/1.1\r\n\r\n`) });
  rec.apply({ do: "first-byte" });
  rec.apply({ do: "status", status: 101 });
  rec.apply({ do: "upgraded", headers: opts.response ?? SWITCHED });
  rec.apply({ do: "finish", complete: true, error: null });
  const tap = rec.spliceTap();
  return {
    rows,
    tap,
    tick: (ms: number) => void (clock += ms),
    client: (v: unknown) => tap!.bytes("up", text(JSON.stringify(v), { mask: true })),
    server: (v: unknown) => tap!.bytes("down", text(JSON.stringify(v))),
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("rows from a Responses WebSocket", () => {
  test("each response.create ... response.completed is one row: model, every token kind, times, status", async () => {
    const p = upgradedRecorder();
    await settle();
    expect(p.rows.map((r) => [r.method, r.status])).toEqual([["GET", 101]]);
    for (let turn = 1; turn <= 2; turn++) {
      p.client({ type: "response.create", model: "gpt-5.5", input: [{ role: "user", content: "hi" }] });
      p.tick(40);
      p.server({ type: "response.created", response: { id: `resp_${turn}`, model: "gpt-5.5-2026-10-01", status: "in_progress" } });
      p.tick(200);
      p.server({ type: "response.output_text.delta", delta: "hello" });
      p.server({ type: "response.completed", response: { id: `resp_${turn}`, model: "gpt-5.5-2026-10-01", status: "completed", usage } });
    }
    await settle();
    const turns = p.rows.slice(1);
    expect(turns).toHaveLength(2);
    for (const r of turns) {
      expect(r).toMatchObject({ method: "WS", target: "/v1/responses", status: 200, complete: true, error: null });
      expect(r.firstByteAt! - r.startedAt).toBe(40);
      expect(r.endedAt - r.startedAt).toBe(240);
      expect(r.usage).toMatchObject({ provider: "openai", endpoint: "responses", model: "gpt-5.5-2026-10-01", stream: true, tokensComplete: true, tokens: { input: 500, cacheRead: 4000, cacheWrite5m: 500, output: 300, reasoning: 120 } });
      expect(r.requestHeaders).toEqual(HANDSHAKE);
    }
    expect(turns.map((r) => r.exchangeId)).toEqual(["ex-2", "ex-3"]);
  });

  test("a pretty-printed event (line breaks inside the JSON) reads the same", async () => {
    const p = upgradedRecorder();
    p.client({ type: "response.create", model: "gpt-5.5" });
    p.tap!.bytes("down", text(JSON.stringify({ type: "response.completed", response: { model: "gpt-5.5", status: "completed", usage } }, null, 2).replace(/\n/g, "\r\n")));
    await settle();
    expect(p.rows.at(-1)).toMatchObject({ method: "WS", complete: true, usage: { tokensComplete: true, tokens: { output: 300, cacheRead: 4000 } } });
  });

  test("a connection that closes mid-response gives a row with tokens_complete false", async () => {
    const p = upgradedRecorder();
    p.client({ type: "response.create", model: "gpt-5.5" });
    p.server({ type: "response.created", response: { model: "gpt-5.5" } });
    p.tap!.closed();
    await settle();
    const cut = p.rows.at(-1)!;
    expect(cut).toMatchObject({ method: "WS", complete: false, error: "the connection closed mid-response" });
    expect(cut.usage?.tokensComplete).toBe(false);
  });

  test("response.failed and error events end their rows; an error's status is the row's", async () => {
    const p = upgradedRecorder();
    p.client({ type: "response.create", model: "gpt-5.5" });
    p.server({ type: "response.failed", response: { model: "gpt-5.5", status: "failed", error: { code: "server_error", message: "boom" }, usage } });
    p.client({ type: "response.create", model: "gpt-5.5" });
    p.server({ type: "error", status: 429, error: { type: "usage_limit_reached", message: "The usage limit has been reached" } });
    await settle();
    const [failed, limited] = p.rows.slice(1);
    expect(failed).toMatchObject({ status: 200, complete: true });
    expect(failed!.usage?.errorType).not.toBeNull();
    expect(limited).toMatchObject({ status: 429, complete: true });
    expect(limited!.usage?.errorType).toBe("usage_limit_reached");
  });

  test("Codex's codex.rate_limits event is kept with the next row", async () => {
    const p = upgradedRecorder({ host: "chatgpt.com", target: "/backend-api/codex/responses" });
    const limits = { type: "codex.rate_limits", plan_type: "plus", rate_limits: { primary: { used_percent: 42.5, window_minutes: 300, reset_at: 1_796_000_000 } } };
    p.client({ type: "response.create", model: "gpt-5.5-codex" });
    p.server(limits);
    p.server({ type: "response.completed", response: { model: "gpt-5.5-codex", status: "completed", usage } });
    await settle();
    expect(p.rows.at(-1)).toMatchObject({ method: "WS", usage: { provider: "chatgpt", tokens: { cacheRead: 4000 } }, rateLimits: limits });
  });

  test("compressed frames (permessage-deflate, context takeover) read the same", async () => {
    const p = upgradedRecorder({ response: [...SWITCHED, ["Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits=15"]] });
    const server = new Compressor({ takeover: true });
    const client = new Compressor({ takeover: true });
    const send = async (side: "up" | "down", v: unknown) => p.tap!.bytes(side, text(await (side === "up" ? client : server).compress(JSON.stringify(v)), { rsv1: true, mask: side === "up" }));
    for (let i = 0; i < 2; i++) {
      await send("up", { type: "response.create", model: "gpt-5.5" });
      await send("down", { type: "response.created", response: { model: "gpt-5.5" } });
      await send("down", { type: "response.completed", response: { model: "gpt-5.5", status: "completed", usage } });
    }
    await settle();
    expect(p.rows.slice(1).map((r) => r.usage?.tokens.output)).toEqual([300, 300]);
  });
});

describe("what is not metered", () => {
  test.each([
    ["a WebSocket on a path that is not the Responses API", { target: "/v1/realtime" }],
    ["a 101 to something other than a WebSocket", { response: [["Upgrade", "h2c"]] as RawHeaders }],
    ["a host that is no provider", { host: "example.org" }],
  ])("%s: no tap, only the 101's row", async (_name, opts) => {
    const p = upgradedRecorder(opts);
    expect(p.tap).toBeNull();
    await settle();
    expect(p.rows).toHaveLength(1);
  });

  test("a stream the tap cannot read ends the open row as cut and reads nothing more; the relay is not its business", async () => {
    const p = upgradedRecorder();
    p.client({ type: "response.create", model: "gpt-5.5" });
    (p.tap as SpliceTap).bytes("down", Buffer.from([0x83, 0x00]));
    p.server({ type: "response.completed", response: { usage } });
    await settle();
    expect(p.rows.slice(1).map((r) => [r.complete, r.error])).toEqual([[false, "the server's WebSocket stream could not be read (unknown opcode 0x3)"]]);
  });
});
