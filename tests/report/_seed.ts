// A seeded database for the report, API and dashboard suites, and the same numbers computed
// naively in JS to check them against.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RequestRow } from "../../core/store/index.ts";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** Mid-morning, so "the last 7 days" starts and ends mid-day and edges are read from raw rows. */
export const NOW = Date.UTC(2026, 5, 20, 9, 30);

const PROJECTS = ["alpha", "beta", "gamma", null];
const MODELS: Array<[string, string]> = [
  ["anthropic", "claude-sonnet-4-5"],
  ["openai", "gpt-5"],
  ["google", "gemini-2.5-pro"],
];
const CLIENTS = ["claude-code", "codex", "curl"];

/** 400 rows over the 40 days before NOW (several per started_at), some unpriced, a few self-test canaries. */
export function seedRows(count = 400): RequestRow[] {
  return Array.from({ length: count }, (_, i) => {
    const [provider, model] = MODELS[i % 3]!;
    const unpriced = i % 13 === 0;
    const selfTest = i % 50 === 7;
    return {
      exchangeId: `seed-${i}`,
      startedAt: NOW - 40 * DAY + Math.floor(i / 2) * (4.5 * HOUR),
      endedAt: null,
      provider: selfTest ? "halton-meter" : provider,
      host: selfTest ? "127.0.0.1" : `api.${provider}.test`,
      endpoint: selfTest ? "self-test" : "messages",
      method: "POST",
      path: "/v1/messages",
      model: selfTest ? null : model,
      status: i % 29 === 0 ? 529 : 200,
      stream: i % 2 === 0,
      tokens: { input: 100 + i, output: 10 + (i % 50), cacheRead: i % 5 === 0 ? 0 : 1000 + i, cacheWrite5m: i % 7, cacheWrite1h: i % 11 === 0 ? 500 : 0, reasoning: i % 4 },
      costMicros: unpriced || selfTest ? null : 1000 + i * 7,
      priceStatus: selfTest ? "unmetered" : unpriced ? "unpriced" : "priced",
      latencyMs: i % 17 === 0 ? null : (i * 7919) % 5000,
      ttfbMs: 50,
      project: selfTest ? "halton-meter" : PROJECTS[i % 4]!,
      projectSource: "env",
      client: CLIENTS[(i >> 1) % 3]!,
    } satisfies RequestRow;
  });
}

export interface Expected {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  costMicros: number;
  unpricedRequests: number;
  p95LatencyMs: number | null;
}

export function expected(rows: RequestRow[]): Expected {
  const sum = (f: (r: RequestRow) => number) => rows.reduce((n, r) => n + f(r), 0);
  const latencies = rows.flatMap((r) => (r.latencyMs == null ? [] : [r.latencyMs])).sort((a, b) => a - b);
  return {
    requests: rows.length,
    inputTokens: sum((r) => r.tokens.input),
    outputTokens: sum((r) => r.tokens.output),
    cacheReadTokens: sum((r) => r.tokens.cacheRead),
    costMicros: sum((r) => r.costMicros ?? 0),
    unpricedRequests: rows.filter((r) => r.priceStatus === "unpriced").length,
    p95LatencyMs: latencies.length ? latencies[Math.ceil(0.95 * latencies.length) - 1]! : null,
  };
}

export const notSelfTest = (r: RequestRow) => r.provider !== "halton-meter";

export function tempDir(prefix: string): { dir: string; path: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
