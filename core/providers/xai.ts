// api.x.ai: OpenAI-compatible Chat Completions and Responses, Anthropic-compatible Messages.

import { matchPostPaths } from "./_headers.ts";
import type { ProviderAdapter } from "./_usage.ts";
import { messagesEndpoint } from "./anthropic.ts";
import { chatEndpoint, responsesEndpoint } from "./openai-format.ts";
import { PROVIDER_HOST } from "./hosts.ts";

export const xaiAdapter: ProviderAdapter = {
  provider: "xai",
  hosts: [PROVIDER_HOST.xai],
  match: matchPostPaths({
    "/v1/chat/completions": () => chatEndpoint("xai"),
    "/v1/responses": () => responsesEndpoint("xai"),
    "/v1/messages": () => messagesEndpoint("xai"),
  }),
};
