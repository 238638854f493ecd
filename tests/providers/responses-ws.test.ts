import { describe, expect, test } from "bun:test";
import { ResponsesSocket, type TurnCommand } from "../../core/providers/responses-ws.ts";

// The Responses API over a WebSocket as transcripts: client and server messages in, each
// response's lifecycle out.

const msg = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v));
const line = (c: TurnCommand) =>
  c.do === "begin" ? "begin" : c.do === "event" ? `event ${JSON.parse(Buffer.from(c.data).toString()).type}` : c.do === "finish" ? `finish ${c.complete ? "complete" : "cut"} ${c.status} ${c.error ?? "-"}` : `limits ${JSON.stringify(c.snapshot)}`;

function play() {
  const ws = new ResponsesSocket();
  return {
    client: (v: unknown) => ws.client(msg(v)).map(line),
    server: (v: unknown) => ws.server(msg(v)).map(line),
    ended: (why: string) => ws.ended(why).map(line),
  };
}

describe("one socket, several responses", () => {
  test("response.create -> events -> response.completed, twice: two exchanges", () => {
    const p = play();
    for (let turn = 0; turn < 2; turn++) {
      expect(p.client({ type: "response.create", model: "gpt-5.5", input: [] })).toEqual(["begin"]);
      expect(p.server({ type: "response.created", response: { id: `resp_${turn}` } })).toEqual(["event response.created"]);
      expect(p.server({ type: "response.output_text.delta", delta: "hi" })).toEqual(["event response.output_text.delta"]);
      expect(p.server({ type: "response.completed", response: { usage: { input_tokens: 1 } } })).toEqual(["event response.completed", "finish complete 200 -"]);
    }
  });

  test.each(["response.failed", "response.incomplete"])("%s ends the response, complete (its usage is final)", (type) => {
    const p = play();
    p.client({ type: "response.create" });
    expect(p.server({ type, response: {} })).toEqual([`event ${type}`, "finish complete 200 -"]);
  });

  test("an error event ends the response with the status it carries", () => {
    const p = play();
    p.client({ type: "response.create" });
    expect(p.server({ type: "error", status: 429, error: { type: "usage_limit_reached", message: "limit" } })).toEqual(["event error", "finish complete 429 -"]);
    p.client({ type: "response.create" });
    expect(p.server({ type: "error", error: { message: "no status" } })).toEqual(["event error", "finish complete null -"]);
  });

  test("a close mid-response gives a cut exchange with the reason", () => {
    const p = play();
    p.client({ type: "response.create" });
    p.server({ type: "response.created" });
    expect(p.ended("the connection closed mid-response")).toEqual(["finish cut null the connection closed mid-response"]);
    expect(p.ended("again")).toEqual([]);
  });

  test("a second response.create before the first finished: the first is cut, the second begins", () => {
    const p = play();
    p.client({ type: "response.create" });
    expect(p.client({ type: "response.create" })).toEqual(["finish cut null a new response.create came before this response finished", "begin"]);
  });
});

describe("what is not a response", () => {
  test("codex.rate_limits is kept whether or not a response is open, never as an event", () => {
    const p = play();
    const snapshot = { type: "codex.rate_limits", rate_limits: { primary: { used_percent: 12.5, window_minutes: 300 } } };
    expect(p.server(snapshot)).toEqual([`limits ${JSON.stringify(snapshot)}`]);
    p.client({ type: "response.create" });
    expect(p.server(snapshot)).toEqual([`limits ${JSON.stringify(snapshot)}`]);
  });

  test("server events with no response open, other client messages, junk: nothing", () => {
    const p = play();
    expect(p.server({ type: "response.completed" })).toEqual([]);
    expect(p.client({ type: "session.update" })).toEqual([]);
    expect(p.client("not json")).toEqual([]);
    expect(p.client("[1,2]")).toEqual([]);
    expect(p.server("{")).toEqual([]);
  });

  test("a type that is not the first key is still found", () => {
    const p = play();
    expect(p.client({ model: "m", type: "response.create" })).toEqual(["begin"]);
    expect(p.server({ response: {}, type: "response.completed" })).toEqual(["event response.completed", "finish complete 200 -"]);
  });
});
