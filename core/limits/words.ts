// The names limits are shown by, shared by `halton-meter limits` and the dashboard.

export const PROVIDER_NAMES: Record<string, string> = {
  anthropic: "Anthropic",
  openai: "OpenAI",
  chatgpt: "ChatGPT (Codex)",
  google: "Google Gemini API",
  "google-cloudcode": "Google Code Assist",
  xai: "xAI",
};

/** "overall" for Anthropic's verdict, "primary (5h)" for Codex, anything else by its own name. */
export function windowName(w: { window: string; windowMinutes: number | null }): string {
  if (w.window === "unified") return "overall";
  if (w.windowMinutes === null) return w.window;
  const m = w.windowMinutes;
  const length = m % 1440 === 0 ? `${m / 1440}d` : m % 60 === 0 ? `${m / 60}h` : `${m}m`;
  return length === w.window ? w.window : `${w.window} (${length})`;
}
