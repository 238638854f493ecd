// api.x.ai: OpenAI-compatible Chat Completions and Responses, Anthropic-compatible Messages.

import { targetPath } from "./_headers.ts";
import type { Endpoint, ProviderAdapter } from "./_usage.ts";
import { messagesEndpoint } from "./anthropic.ts";
import { chatEndpoint, responsesEndpoint } from "./openai-format.ts";
import { PROVIDER_HOST } from "./hosts.ts";

function matchXai(method: string, target: string): Endpoint | null {
  if (method.toUpperCase() !== "POST") return null;
  switch (targetPath(target)) {
    case "/v1/chat/completions":
      return chatEndpoint("xai");
    case "/v1/responses":
      return responsesEndpoint("xai");
    case "/v1/messages":
      return messagesEndpoint("xai");
    default:
      return null;
  }
}

export const xaiAdapter: ProviderAdapter = {
  provider: "xai",
  hosts: [PROVIDER_HOST.xai],
  match: matchXai,
};
