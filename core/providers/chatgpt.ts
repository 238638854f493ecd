// chatgpt.com: the Codex CLI's backend (Responses API format, always streamed). Everything else on
// the host is the ChatGPT web app: observed, never metered.

import { targetPath } from "./_headers.ts";
import type { Endpoint, ProviderAdapter } from "./_usage.ts";
import { responsesEndpoint } from "./openai-format.ts";
import { PROVIDER_HOST } from "./hosts.ts";

function matchChatGPT(method: string, target: string): Endpoint | null {
  if (method.toUpperCase() !== "POST") return null;
  switch (targetPath(target)) {
    case "/backend-api/codex/responses":
      return responsesEndpoint("chatgpt");
    case "/backend-api/codex/responses/compact":
      return responsesEndpoint("chatgpt", "responses.compact");
    default:
      return null;
  }
}

export const chatgptAdapter: ProviderAdapter = {
  provider: "chatgpt",
  hosts: [PROVIDER_HOST.chatgpt],
  match: matchChatGPT,
};
