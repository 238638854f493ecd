// The words limits are shown in, shared by `halton-meter limits`, the dashboard and the status line.

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

/** Whole percents, as the providers' own pages show them; a tenth below 10%. */
export function usedPercent(u: number): string {
  const pct = u * 100;
  return `${pct > 0 && pct < 10 ? pct.toFixed(1).replace(/\.0$/, "") : Math.round(pct)}%`;
}
