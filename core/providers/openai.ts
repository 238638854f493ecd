// api.openai.com: Chat Completions, (legacy) Completions, Responses, Embeddings.

import { targetPath } from "./_headers.ts";
import type { Endpoint, ProviderAdapter } from "./_usage.ts";
import { chatEndpoint, embeddingsEndpoint, responsesEndpoint } from "./openai-format.ts";
import { PROVIDER_HOST } from "./hosts.ts";

function matchOpenAI(method: string, target: string): Endpoint | null {
  if (method.toUpperCase() !== "POST") return null;
  switch (targetPath(target)) {
    case "/v1/chat/completions":
      return chatEndpoint("openai");
    case "/v1/completions":
      return chatEndpoint("openai", "completions");
    case "/v1/responses":
      return responsesEndpoint("openai");
    case "/v1/responses/compact":
      return responsesEndpoint("openai", "responses.compact");
    case "/v1/embeddings":
      return embeddingsEndpoint("openai");
    default:
      return null;
  }
}

export const openaiAdapter: ProviderAdapter = {
  provider: "openai",
  hosts: [PROVIDER_HOST.openai],
  match: matchOpenAI,
};
