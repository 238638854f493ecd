// Which tool made a request, from its User-Agent. First match wins; order matters.

const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  [/claude-cli|claude-code/i, "claude-code"],
  [/codex/i, "codex"],
  [/gemini-cli|GeminiCLI/i, "gemini-cli"],
  [/^OpenAI\/JS|openai-node|^OpenAI\/Python|openai-python/i, "openai-sdk"],
  [/^Anthropic\/JS|anthropic-sdk|^Anthropic\/Python|anthropic-python/i, "anthropic-sdk"],
  [/google-genai-sdk|genai-js|google-genai|x-goog-api-client/i, "google-genai-sdk"],
  [/^curl\//i, "curl"],
  [/python-requests/i, "python-requests"],
  [/python-httpx/i, "python-httpx"],
  [/aiohttp/i, "python-aiohttp"],
  [/^Bun\//i, "bun"],
  [/^node(-fetch)?\b|undici/i, "node"],
  [/^Go-http-client/i, "go"],
];

export function clientFromUserAgent(ua: string | undefined | null): string {
  if (!ua) return "unknown";
  for (const [re, name] of RULES) if (re.test(ua)) return name;
  return "other";
}
