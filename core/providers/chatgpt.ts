// chatgpt.com: the Codex CLI's backend (Responses API format, always streamed). Everything else on
// the host is the ChatGPT web app: observed, never metered.

import { matchPostPaths } from "./_headers.ts";
import type { ProviderAdapter } from "./_usage.ts";
import { responsesEndpoint } from "./openai-format.ts";
import { PROVIDER_HOST } from "./hosts.ts";

export const chatgptAdapter: ProviderAdapter = {
  provider: "chatgpt",
  hosts: [PROVIDER_HOST.chatgpt],
  match: matchPostPaths({
    "/backend-api/codex/responses": () => responsesEndpoint("chatgpt"),
    "/backend-api/codex/responses/compact": () => responsesEndpoint("chatgpt", "responses.compact"),
  }),
};
