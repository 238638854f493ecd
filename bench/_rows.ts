// Synthetic capture rows for the store and report benchmarks: six models of four providers,
// eight projects, five clients, spread evenly over 90 days from `start`; every 50th unpriced.

import type { RequestRow } from "../core/store/index.ts";

const PROJECTS = ["api", "web", "infra", "ml", "docs", "cli", "sdk", "bench"];
const MODELS = ["claude-sonnet-4-5", "claude-opus-4-1", "gpt-5", "gpt-4o", "gemini-2.5-pro", "grok-4"];
const CLIENTS = ["claude-code", "codex", "gemini-cli", "openai-sdk", "curl"];
export const DAY = 86_400_000;

/** Row `i` of `total` spread over 90 days from `start`. */
export function syntheticRow(i: number, total: number, start: number): RequestRow {

  const model = MODELS[i % MODELS.length]!;
  return {
    exchangeId: `bench-${i}`,
    startedAt: start + Math.floor((i / total) * 90 * DAY),
    provider: model.startsWith("claude") ? "anthropic" : model.startsWith("gpt") ? "openai" : model.startsWith("gemini") ? "google" : "xai",
    host: "api.example.test",
    endpoint: "messages",
    method: "POST",
    path: "/v1/messages",
    model,
    status: 200,
    stream: i % 2 === 0,
    tokens: { input: 1000 + (i % 5000), output: 200 + (i % 900), cacheRead: i % 7 === 0 ? 0 : 20_000, cacheWrite5m: i % 11, cacheWrite1h: 0, reasoning: i % 100 },
    costMicros: i % 50 === 0 ? null : 1000 + (i % 10_000),
    priceStatus: i % 50 === 0 ? "unpriced" : "priced",
    latencyMs: 200 + ((i * 7919) % 20_000),
    ttfbMs: 100 + (i % 900),
    project: PROJECTS[i % PROJECTS.length]!,
    client: CLIENTS[i % CLIENTS.length]!,
  };
}
