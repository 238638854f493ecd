// Anthropic Messages API: /v1/messages (JSON and SSE), count_tokens, message batches.
// The message format is shared with xAI's /v1/messages.

import type { ProviderId, TokenCounts } from "../usage/types.ts";
import { targetPath } from "./_headers.ts";
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

/** `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}` */
function anthropicError(body: unknown): ErrorInfo | null {
  const error = field(body, "error");
  if (!isObject(error)) return null;
  return { type: text(error.type), message: text(error.message) };
}

/** The latest value of every usage field seen; message_delta carries cumulative counts. */
interface RawUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheCreation?: number;
  ephemeral5m?: number;
  ephemeral1h?: number;
  webSearches?: number;
}

function mergeAnthropicUsage(into: RawUsage, usage: unknown, bad: Set<string>): boolean {
  if (!isObject(usage)) return false;
  const set = (key: keyof RawUsage, v: unknown, name: string) => {
    const n = countField(v, name, bad);
    if (n !== undefined) into[key] = n;
  };
  set("input", usage.input_tokens, "input_tokens");
  set("output", usage.output_tokens, "output_tokens");
  set("cacheRead", usage.cache_read_input_tokens, "cache_read_input_tokens");
  set("cacheCreation", usage.cache_creation_input_tokens, "cache_creation_input_tokens");
  set("ephemeral5m", field(usage.cache_creation, "ephemeral_5m_input_tokens"), "ephemeral_5m_input_tokens");
  set("ephemeral1h", field(usage.cache_creation, "ephemeral_1h_input_tokens"), "ephemeral_1h_input_tokens");
  set("webSearches", field(usage.server_tool_use, "web_search_requests"), "web_search_requests");
  return true;
}

function anthropicTokens(raw: RawUsage): TokenCounts {
  const split1h = raw.ephemeral1h ?? 0;
  const split5m = raw.ephemeral5m ?? 0;
  const total = raw.cacheCreation ?? split5m + split1h;
  // Without the split everything is 5-minute cache (the default TTL); a total larger than the
  // split puts the remainder there too, so no written token goes unbilled.
  const cacheWrite5m = split5m + Math.max(0, total - split5m - split1h);
  return {
    input: raw.input ?? 0,
    output: raw.output ?? 0,
    cacheRead: raw.cacheRead ?? 0,
    cacheWrite5m,
    cacheWrite1h: split1h,
    reasoning: 0, // billed inside output_tokens; Anthropic does not report it separately
  };
}

function searchNote(raw: RawUsage): string | null {
  return raw.webSearches ? `${raw.webSearches} web search request(s), billed per search` : null;
}

const MESSAGE_EVENTS: ReadonlySet<string> = new Set(["message_start", "message_delta", "error"]);

/** POST /v1/messages, JSON or SSE. */
function messagesReader(tally: Tally): PayloadReader {
  const raw: RawUsage = {};
  const apply = () => {
    tally.tokens = anthropicTokens(raw);
  };
  return {
    spec: { type: true, model: true, usage: true, error: true },
    sseEvents: MESSAGE_EVENTS,
    payload(value, event) {
      if (!isObject(value)) return;
      const type = text(value.type) ?? event;
      switch (type) {
        case "message": // a whole JSON response
          tally.model = text(value.model) ?? tally.model;
          if (mergeAnthropicUsage(raw, value.usage, tally.badCounts)) tally.final = true;
          return apply();
        case "message_start":
          tally.model = text(field(value.message, "model")) ?? tally.model;
          mergeAnthropicUsage(raw, field(value.message, "usage"), tally.badCounts);
          return apply();
        case "message_delta":
          if (mergeAnthropicUsage(raw, value.usage, tally.badCounts)) tally.final = true;
          return apply();
        case "error": {
          const info = anthropicError(value) ?? { type: "error", message: null };
          tally.errorType = info.type ?? "error";
          tally.notes.push(errorNote("stream error", info));
          return;
        }
      }
    },
    finish() {
      const note = searchNote(raw);
      if (note) tally.notes.push(note);
    },
  };
}

/** POST /v1/messages/count_tokens: free; the count goes in the note. */
function countTokensReader(tally: Tally): PayloadReader {
  return {
    spec: { input_tokens: true },
    payload(value) {
      const n = count(field(value, "input_tokens"));
      if (n === undefined) return;
      tally.final = true;
      tally.notes.push(`counted ${n} input tokens (count_tokens is free)`);
    },
  };
}

/** GET /v1/messages/batches/{id}/results: JSON lines, one result per request. */
function batchResultsReader(tally: Tally): PayloadReader {
  const outcomes = new Map<string, number>();
  const models = new Map<string, number>();
  return {
    items: "lines",
    spec: { result: { type: true, message: { model: true, usage: true } } },
    payload(value) {
      const result = field(value, "result");
      const type = text(field(result, "type")) ?? "unknown";
      tally.final = true; // each line is final for its request; a cut or bad body is caught by the observer
      outcomes.set(type, (outcomes.get(type) ?? 0) + 1);
      if (type !== "succeeded") return;
      const message = field(result, "message");
      const model = text(field(message, "model")) ?? "unknown";
      models.set(model, (models.get(model) ?? 0) + 1);
      const raw: RawUsage = {};
      mergeAnthropicUsage(raw, field(message, "usage"), tally.badCounts);
      const t = anthropicTokens(raw);
      const sum = tally.tokens;
      sum.input += t.input;
      sum.output += t.output;
      sum.cacheRead += t.cacheRead;
      sum.cacheWrite5m += t.cacheWrite5m;
      sum.cacheWrite1h += t.cacheWrite1h;
    },
    finish() {
      const parts = [...outcomes].map(([type, n]) => `${n} ${type}`);
      if (parts.length > 0) tally.notes.push(`batch results: ${parts.join(", ")}`);
      if (models.size === 1) tally.model = [...models.keys()][0]!;
      else if (models.size > 1) {
        // One row cannot carry two prices: leave the model unset (unpriced) rather than guess.
        tally.notes.push(`mixed models, not priced: ${[...models].map(([m, n]) => `${m} x${n}`).join(", ")}`);
      }
    },
  };
}

/** The /v1/messages endpoint, shared with xAI. */
export function messagesEndpoint(provider: ProviderId): Endpoint {
  return { provider, name: "messages", metered: true, reader: messagesReader, errorOf: anthropicError };
}

function matchAnthropic(method: string, target: string): Endpoint | null {
  const path = targetPath(target);
  const post = method.toUpperCase() === "POST";
  const get = method.toUpperCase() === "GET";
  if (path === "/v1/messages" && post) return messagesEndpoint("anthropic");
  if (path === "/v1/messages/count_tokens" && post) {
    return { provider: "anthropic", name: "count_tokens", metered: true, reader: countTokensReader, errorOf: anthropicError };
  }
  if (/^\/v1\/messages\/batches\/[^/]+\/results$/.test(path) && get) {
    return {
      provider: "anthropic",
      name: "batches",
      metered: true,
      billing: "batch",
      requestSpec: {},
      reader: batchResultsReader,
      errorOf: anthropicError,
    };
  }
  if (path === "/v1/messages/batches" || path.startsWith("/v1/messages/batches/")) {
    // Create, list, retrieve, cancel, delete: usage arrives later, with the results.
    return { provider: "anthropic", name: "batches", metered: false, requestSpec: {}, errorOf: anthropicError };
  }
  return null;
}

export const anthropicAdapter: ProviderAdapter = {
  provider: "anthropic",
  hosts: [PROVIDER_HOST.anthropic],
  match: matchAnthropic,
};
