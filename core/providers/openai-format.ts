// OpenAI's wire formats: Chat Completions, Responses, Embeddings. Shared by api.openai.com,
// chatgpt.com (Codex) and api.x.ai, so the provider files only say which paths exist.

import type { ProviderId, TokenCounts } from "../usage/types.ts";
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
  type Tally,
} from "./_usage.ts";

/** `{"error":{"message":...,"type":"requests","code":"rate_limit_exceeded"}}`; xAI: `{"code":..., "error":"text"}`. */
function openaiError(body: unknown): ErrorInfo | null {
  const error = field(body, "error");
  if (isObject(error)) return { type: text(error.code) ?? text(error.type), message: text(error.message) };
  if (typeof error === "string") return { type: null, message: error };
  return null;
}

const REASONING_OUTSIDE =
  "reasoning tokens were reported outside the output count (total = input + output + reasoning); added to output";

/**
 * OpenAI counts reasoning inside completion/output tokens. xAI has reported them outside it on
 * some models; the total tells which: if it only adds up with reasoning on top, add it to output.
 */
function outputWithReasoning(output: number, reasoning: number, input: number, total: number | undefined): [number, boolean] {
  if (reasoning > 0 && total === input + output + reasoning) {
    return [output + reasoning, true];
  }
  return [output, false];
}

/** Where one OpenAI usage shape keeps its counts: Chat Completions and Responses name them differently. */
interface UsageNames {
  input: string;
  inputDetails: string;
  output: string;
  outputDetails: string;
}

const CHAT_USAGE: UsageNames = { input: "prompt_tokens", inputDetails: "prompt_tokens_details", output: "completion_tokens", outputDetails: "completion_tokens_details" };
const RESPONSES_USAGE: UsageNames = { input: "input_tokens", inputDetails: "input_tokens_details", output: "output_tokens", outputDetails: "output_tokens_details" };

/**
 * OpenAI counts cache reads (`cached_tokens`) and cache writes (`cache_write_tokens`, newer
 * models) inside the input count; we store input as the uncached rest, so the three still add up
 * to what was sent. Each part is clamped to what is left of the input. OpenAI's cache has one
 * write price (genai-prices' cache_write_mtok) and no 1 h tier: writes are kept as cacheWrite5m.
 */
function usageTokens(usage: Record<string, unknown>, names: UsageNames, bad: Set<string>): { tokens: TokenCounts; reasoningOutside: boolean } {
  const input = countField(usage[names.input], names.input, bad) ?? 0;
  const details = usage[names.inputDetails];
  const cached = Math.min(input, countField(field(details, "cached_tokens"), "cached_tokens", bad) ?? 0);
  const written = Math.min(input - cached, countField(field(details, "cache_write_tokens"), "cache_write_tokens", bad) ?? 0);
  const reasoning = countField(field(usage[names.outputDetails], "reasoning_tokens"), "reasoning_tokens", bad) ?? 0;
  const output = countField(usage[names.output], names.output, bad) ?? 0;
  const [withReasoning, reasoningOutside] = outputWithReasoning(output, reasoning, input, count(usage.total_tokens));
  return {
    tokens: { input: input - cached - written, output: withReasoning, cacheRead: cached, cacheWrite5m: written, cacheWrite1h: 0, reasoning },
    reasoningOutside,
  };
}

/** Chat Completions / Completions usage. */
const chatTokens = (usage: Record<string, unknown>, bad: Set<string>) => usageTokens(usage, CHAT_USAGE, bad);

/** Responses API usage. */
const responsesTokens = (usage: Record<string, unknown>, bad: Set<string>) => usageTokens(usage, RESPONSES_USAGE, bad);

/** An error carried inside a 200 body: a chat chunk `{"error":{...}}`. */
function inBandError(tally: Tally, value: Record<string, unknown>, where: string): boolean {
  if (!isObject(value.error)) return false;
  const info = openaiError(value) ?? { type: null, message: null };
  tally.errorType = info.type ?? "error";
  tally.notes.push(errorNote(where, info));
  return true;
}

/** /v1/chat/completions and /v1/completions, JSON or SSE chunks. */
function chatReader(tally: Tally): PayloadReader {
  let reasoningOutside = false;
  return {
    spec: { object: true, model: true, usage: true, error: true },
    payload(value) {
      if (!isObject(value) || inBandError(tally, value, "stream error")) return;
      tally.model = text(value.model) ?? tally.model;
      if (!isObject(value.usage)) return; // stream chunks carry "usage": null until the last
      const read = chatTokens(value.usage, tally.badCounts);
      tally.tokens = read.tokens;
      reasoningOutside = read.reasoningOutside;
      tally.final = true;
    },
    finish(request, stream) {
      if (reasoningOutside) tally.notes.push(REASONING_OUTSIDE);
      if (tally.final || !stream || tally.errorType !== null) return;
      const asked = field(request.body?.stream_options, "include_usage") === true;
      tally.notes.push(
        asked
          ? "the stream ended without its usage chunk"
          : "stream without usage: the request did not set stream_options.include_usage",
      );
    },
  };
}

/** /v1/embeddings: usage.prompt_tokens only. */
function embeddingsReader(tally: Tally): PayloadReader {
  return {
    spec: { model: true, usage: true, error: true },
    payload(value) {
      if (!isObject(value) || inBandError(tally, value, "error")) return;
      tally.model = text(value.model) ?? tally.model;
      const prompt = count(field(value.usage, "prompt_tokens"));
      if (prompt === undefined) return;
      tally.tokens.input = prompt;
      tally.final = true;
    },
  };
}

const TERMINAL_EVENTS = new Set(["response.completed", "response.failed", "response.incomplete"]);
const RESPONSE_EVENTS: ReadonlySet<string> = new Set([...TERMINAL_EVENTS, "response.created", "response.in_progress", "response.queued", "error"]);
const TERMINAL_STATUSES = new Set(["completed", "failed", "incomplete", "cancelled"]);

/** /v1/responses (and Codex's /backend-api/codex/responses): a response object, or SSE events. */
function responsesReader(tally: Tally): PayloadReader {
  let reasoningOutside = false;
  /** `terminal`: the final report (a terminal event, or a finished JSON body); `body`: a JSON body. */
  const read = (response: Record<string, unknown>, terminal: boolean, body: boolean) => {
    tally.model = text(response.model) ?? tally.model;
    const status = text(response.status);
    if (isObject(response.usage)) {
      const usage = responsesTokens(response.usage, tally.badCounts);
      tally.tokens = usage.tokens;
      reasoningOutside = usage.reasoningOutside;
      if (terminal) tally.final = true;
    } else if (terminal) {
      tally.notes.push(`response ${status ?? "ended"} without usage`);
    }
    if (status === "failed") {
      const info = openaiError(response) ?? { type: null, message: null };
      tally.errorType = info.type ?? "response_failed";
      tally.notes.push(errorNote("response failed", info));
    } else if (status === "incomplete") {
      tally.notes.push(`response incomplete: ${text(field(response.incomplete_details, "reason")) ?? "unknown reason"}`);
    } else if (body && !terminal) {
      tally.notes.push(`response still ${status} (background): its usage is reported when it completes`);
    }
  };
  return {
    spec: { type: true, object: true, model: true, status: true, usage: true, error: true, incomplete_details: true },
    sseEvents: RESPONSE_EVENTS,
    payload(value, event) {
      if (!isObject(value)) return;
      const type = text(value.type) ?? (event !== "message" ? event : null);
      if (type === "error") {
        const nested = isObject(value.error) ? value.error : value;
        const info = { type: text(nested.code) ?? text(nested.type), message: text(nested.message) };
        tally.errorType = info.type ?? "error";
        tally.notes.push(errorNote("stream error", info));
        return;
      }
      if (type !== null && type.startsWith("response.") && isObject(value.response)) {
        return read(value.response, TERMINAL_EVENTS.has(type), false);
      }
      const object = text(value.object);
      if (object !== null && object.startsWith("response")) {
        const status = text(value.status);
        return read(value, status === null || TERMINAL_STATUSES.has(status), true);
      }
      inBandError(tally, value, "error");
    },
    finish() {
      if (reasoningOutside) tally.notes.push(REASONING_OUTSIDE);
    },
  };
}

export function chatEndpoint(provider: ProviderId, name = "chat.completions"): Endpoint {
  return { provider, name, metered: true, reader: chatReader, errorOf: openaiError };
}

export function responsesEndpoint(provider: ProviderId, name = "responses"): Endpoint {
  return { provider, name, metered: true, reader: responsesReader, errorOf: openaiError };
}

export function embeddingsEndpoint(provider: ProviderId): Endpoint {
  return { provider, name: "embeddings", metered: true, requestSpec: { model: true }, reader: embeddingsReader, errorOf: openaiError };
}
