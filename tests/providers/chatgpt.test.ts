import { describe, expect, test } from "bun:test";
import { fixtureSuite, replayText, tokens, type Exchange } from "./_harness.ts";
import { casesFor } from "./fixtures/cases.ts";

const codex: Exchange = {
  host: "chatgpt.com",
  method: "POST",
  target: "/backend-api/codex/responses",
  requestBody: { model: "gpt-5-codex", stream: true, store: false, input: [] },
  status: 200,
  responseHeaders: [["content-type", "text/event-stream"]],
};

describe("chatgpt fixtures", () => fixtureSuite(casesFor("chatgpt")));

describe("chatgpt.com", () => {
  test("a usage limit (429) is typed from the body", () => {
    const body = JSON.stringify({ error: { type: "usage_limit_reached", message: "The usage limit has been reached", plan_type: "plus", resets_in_seconds: 3120 } });
    const result = replayText({ ...codex, status: 429, responseHeaders: [["content-type", "application/json"]] }, body);
    expect(result).toMatchObject({ provider: "chatgpt", errorType: "usage_limit_reached", tokensComplete: true, tokens: tokens({}), model: "gpt-5-codex" });
  });

  test("the rest of the ChatGPT web app is observed, not metered", () => {
    const result = replayText({ ...codex, method: "GET", target: "/backend-api/conversations?offset=0", requestBody: undefined }, '{"items":[]}');
    expect(result).toMatchObject({ provider: "chatgpt", endpoint: "other", metered: false, tokensComplete: true });
  });
});
