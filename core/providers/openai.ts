// api.openai.com: Chat Completions, (legacy) Completions, Responses, Embeddings.

import { matchPostPaths } from "./_headers.ts";
import type { ProviderAdapter } from "./_usage.ts";
import { chatEndpoint, embeddingsEndpoint, responsesEndpoint } from "./openai-format.ts";
import { PROVIDER_HOST } from "./hosts.ts";

export const openaiAdapter: ProviderAdapter = {
  provider: "openai",
  hosts: [PROVIDER_HOST.openai],
  match: matchPostPaths({
    "/v1/chat/completions": () => chatEndpoint("openai"),
    "/v1/completions": () => chatEndpoint("openai", "completions"),
    "/v1/responses": () => responsesEndpoint("openai"),
    "/v1/responses/compact": () => responsesEndpoint("openai", "responses.compact"),
    "/v1/embeddings": () => embeddingsEndpoint("openai"),
  }),
};
