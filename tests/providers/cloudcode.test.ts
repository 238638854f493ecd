import { describe, expect, test } from "bun:test";
import { fixtureSuite, replayText, tokens, type Exchange } from "./_harness.ts";
import { casesFor } from "./fixtures/cases.ts";

const cli: Exchange = {
  host: "cloudcode-pa.googleapis.com",
  method: "POST",
  target: "/v1internal:generateContent",
  requestBody: { model: "gemini-2.5-pro", project: "p", request: { contents: [] } },
  status: 200,
  responseHeaders: [["content-type", "application/json"]],
};

describe("cloudcode fixtures", () => fixtureSuite(casesFor("google-cloudcode")));

describe("cloudcode-pa", () => {
  test("429 quota errors are typed from the Google error body", () => {
    const body = JSON.stringify({ error: { code: 429, message: "Quota exceeded for quota metric 'Gemini 2.5 Pro Requests'", status: "RESOURCE_EXHAUSTED" } });
    expect(replayText({ ...cli, status: 429 }, body)).toMatchObject({ errorType: "RESOURCE_EXHAUSTED", model: "gemini-2.5-pro", tokensComplete: true });
  });

  test("countTokens is free", () => {
    const result = replayText({ ...cli, target: "/v1internal:countTokens" }, '{"totalTokens": 1234}');
    expect(result).toMatchObject({ endpoint: "countTokens", metered: true, tokens: tokens({}), tokensComplete: true, note: expect.stringMatching(/counted 1234 tokens/) });
  });

  test("setup calls (loadCodeAssist, onboardUser) are observed, not metered", () => {
    for (const target of ["/v1internal:loadCodeAssist", "/v1internal:onboardUser"]) {
      expect(replayText({ ...cli, target }, '{"currentTier":{"id":"free-tier"}}')).toMatchObject({ endpoint: "other", metered: false });
    }
  });
});
