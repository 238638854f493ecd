// Gemini API (generativelanguage.googleapis.com): generateContent, streamGenerateContent (SSE with
// ?alt=sse, else one JSON array streamed element by element), countTokens, embedContent. The
// response format is shared with the Gemini CLI's cloudcode-pa host, which wraps it in
// {"response": ...}.

import type { ProviderId, TokenCounts } from "../usage/types.ts";
import { safeDecode, targetPath } from "./_headers.ts";
import type { PickSpec } from "./_json-stream.ts";
import {
  count,
  countField,
  errorNote,
  field,
  isObject,
  text,
  type Endpoint,
  type ErrorInfo,
  type PayloadReader,
  type ProviderAdapter,
  type Tally,
} from "./_usage.ts";
import { PROVIDER_HOST } from "./hosts.ts";

/** `{"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED"}}`, possibly inside `[...]`. */
function googleError(body: unknown): ErrorInfo | null {
  const first = Array.isArray(body) ? body[0] : body;
  const error = field(first, "error");
  if (!isObject(error)) return null;
  const code = count(error.code);
  return { type: text(error.status) ?? (code !== undefined ? String(code) : null), message: text(error.message) };
}

/** Gemini bills thoughts as output; the prompt count includes the cached part. */
function geminiTokens(usage: Record<string, unknown>, bad: Set<string>): TokenCounts {
  const get = (name: string) => countField(usage[name], name, bad) ?? 0;
  const prompt = get("promptTokenCount");
  const cached = Math.min(prompt, get("cachedContentTokenCount"));
  const toolUse = get("toolUsePromptTokenCount"); // grounding/tool context: billed as input
  const thoughts = get("thoughtsTokenCount");
  return {
    input: prompt - cached + toolUse,
    output: get("candidatesTokenCount") + thoughts,
    cacheRead: cached,
    cacheWrite5m: 0,
    cacheWrite1h: 0,
    reasoning: thoughts,
  };
}

const RESPONSE_SPEC: PickSpec = {
  modelVersion: true,
  usageMetadata: true,
  error: true,
  candidates: { "[]": { finishReason: true } },
  promptFeedback: { blockReason: true },
};

/** A spec that reads one payload or a root array of them. */
function orArray(spec: Record<string, PickSpec>): PickSpec {
  return { ...spec, "[]": spec };
}

function recordError(tally: Tally, value: unknown): boolean {
  const info = googleError(value);
  if (info === null) return false;
  tally.errorType = info.type ?? "error";
  tally.notes.push(errorNote("error in response", info));
  return true;
}

/** generateContent / streamGenerateContent. `wrapped`: cloudcode's {"response": {...}} envelope. */
function geminiReader(wrapped: boolean): (tally: Tally) => PayloadReader {
  return (tally) => {
    let usageSeen = false;
    let finished = false;
    const read = (value: unknown) => {
      if (Array.isArray(value)) return value.forEach(read);
      if (!isObject(value) || recordError(tally, value)) return;
      const response = wrapped && isObject(value.response) ? value.response : value;
      tally.model = text(response.modelVersion) ?? tally.model;
      if (isObject(response.usageMetadata)) {
        usageSeen = true;
        tally.tokens = geminiTokens(response.usageMetadata, tally.badCounts); // cumulative: the last one wins
      }
      const candidates = Array.isArray(response.candidates) ? response.candidates : [];
      if (candidates.some((c) => text(field(c, "finishReason")) !== null)) finished = true;
      if (text(field(response.promptFeedback, "blockReason")) !== null) finished = true;
    };
    return {
      items: "array",
      spec: orArray(wrapped ? { response: RESPONSE_SPEC, error: true } : (RESPONSE_SPEC as Record<string, PickSpec>)),
      payload: read,
      finish(_request, stream) {
        tally.final = usageSeen && (finished || !stream);
        if (usageSeen && !tally.final && tally.errorType === null) tally.notes.push("the stream ended before its finishReason chunk");
      },
    };
  };
}

/** countTokens: free; the count goes in the note. */
function countTokensReader(tally: Tally): PayloadReader {
  return {
    spec: { totalTokens: true, response: { totalTokens: true }, error: true },
    payload(value) {
      if (recordError(tally, value)) return;
      const total = count(field(value, "totalTokens")) ?? count(field(field(value, "response"), "totalTokens"));
      if (total === undefined) return;
      tally.final = true;
      tally.notes.push(`counted ${total} tokens (countTokens is free)`);
    },
  };
}

/** embedContent / batchEmbedContents: usage is reported only by some models. */
function embedReader(tally: Tally): PayloadReader {
  return {
    spec: { usageMetadata: true, error: true },
    payload(value) {
      if (recordError(tally, value)) return;
      const prompt = count(field(field(value, "usageMetadata"), "promptTokenCount"));
      if (prompt === undefined) return;
      tally.tokens.input = prompt;
      tally.final = true;
    },
    finish() {
      if (!tally.final && tally.errorType === null) tally.notes.push("this embedding response reports no token counts");
    },
  };
}

export function geminiEndpoint(provider: ProviderId, action: string, wrapped: boolean, urlModel: string | null): Endpoint | null {
  const base = { provider, name: action, urlModel, errorOf: googleError };
  switch (action) {
    case "generateContent":
      return { ...base, metered: true, reader: geminiReader(wrapped) };
    case "streamGenerateContent":
      return { ...base, metered: true, streamPath: true, reader: geminiReader(wrapped) };
    case "countTokens":
      return { ...base, metered: true, reader: countTokensReader };
    case "embedContent":
    case "batchEmbedContents":
      return { ...base, metered: true, reader: embedReader };
    case "batchGenerateContent":
    case "asyncBatchEmbedContent":
      return { ...base, name: "batches", metered: false }; // usage arrives with the batch's results
    default:
      return null;
  }
}

const MODEL_ACTION = /^\/v1(?:beta|alpha)?\/((?:models|tunedModels)\/[^/:]+):([A-Za-z]+)$/;

function matchGemini(method: string, target: string): Endpoint | null {
  if (method.toUpperCase() !== "POST") return null;
  const m = MODEL_ACTION.exec(targetPath(target));
  if (m === null) return null;
  const model = safeDecode(m[1]!).replace(/^models\//, "");
  return geminiEndpoint("google", m[2]!, false, model);
}

export const googleAdapter: ProviderAdapter = {
  provider: "google",
  hosts: [PROVIDER_HOST.gemini],
  match: matchGemini,
};
