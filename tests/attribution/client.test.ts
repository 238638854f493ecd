import { expect, test } from "bun:test";
import { clientFromUserAgent } from "../../core/attribution/client.ts";

// User-Agents as the tools send them.
const CASES: Array<[string | null, string]> = [
  ["claude-cli/2.1.197 (external, cli)", "claude-code"],
  ["codex_cli_rs/0.50.0 (Debian 12; x86_64) xterm", "codex"],
  ["GeminiCLI/0.12.0 (linux; x64)", "gemini-cli"],
  ["OpenAI/JS 6.49.0", "openai-sdk"],
  ["OpenAI/Python 1.99.0", "openai-sdk"],
  ["Anthropic/JS 1.12.0", "anthropic-sdk"],
  ["Anthropic/Python 0.70.0", "anthropic-sdk"],
  ["google-genai-sdk/2.32.0 gl-node/v20.20.2", "google-genai-sdk"],
  ["curl/7.88.1", "curl"],
  ["python-requests/2.28.1", "python-requests"],
  ["python-httpx/0.27.0", "python-httpx"],
  ["Python/3.11 aiohttp/3.9.1", "python-aiohttp"],
  ["Bun/1.4.4", "bun"],
  ["node", "node"],
  ["undici", "node"],
  ["Go-http-client/1.1", "go"],
  ["Mozilla/5.0 (X11; Linux x86_64)", "other"],
  ["", "unknown"],
  [null, "unknown"],
];

test.each(CASES)("%p is %p", (ua, client) => {
  expect(clientFromUserAgent(ua)).toBe(client);
});
