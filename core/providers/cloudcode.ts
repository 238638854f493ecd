// cloudcode-pa.googleapis.com: the Gemini CLI's Code Assist backend. Same payloads as the Gemini
// API, each wrapped as {"response": {...}}; the model is in the request body.

import { targetPath } from "./_headers.ts";
import type { Endpoint, ProviderAdapter } from "./_usage.ts";
import { geminiEndpoint } from "./google.ts";
import { PROVIDER_HOST } from "./hosts.ts";

const METERED = new Set(["generateContent", "streamGenerateContent", "countTokens"]);

function matchCloudCode(method: string, target: string): Endpoint | null {
  if (method.toUpperCase() !== "POST") return null;
  const m = /^\/v1internal:([A-Za-z]+)$/.exec(targetPath(target));
  if (m === null || !METERED.has(m[1]!)) return null;
  return geminiEndpoint("google-cloudcode", m[1]!, true, null);
}

export const cloudcodeAdapter: ProviderAdapter = {
  provider: "google-cloudcode",
  hosts: [PROVIDER_HOST.cloudcode],
  match: matchCloudCode,
};
