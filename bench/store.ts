// Store benchmark: insert throughput (one transaction per row vs batched through the capture
// writer's insertRows) and report queries over a 1M-row database.
// Run: node_modules/.bin/bun bench/store.ts [rows=1000000]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countRows, createCaptureWriter, insertRows, listRequests, openStore, summary, type RequestRow } from "../core/store/index.ts";

const total = Number(process.argv[2] ?? 1_000_000);
const PROJECTS = ["api", "web", "infra", "ml", "docs", "cli", "sdk", "bench"];
const MODELS = ["claude-sonnet-4-5", "claude-opus-4-1", "gpt-5", "gpt-4o", "gemini-2.5-pro", "grok-4"];
const CLIENTS = ["claude-code", "codex", "gemini-cli", "openai-sdk", "curl"];
const DAY = 86_400_000;
const start = Date.UTC(2026, 0, 1);

function row(i: number): RequestRow {
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

function time<T>(label: string, fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  console.log(`${label}: ${(performance.now() - t0).toFixed(1)} ms`);
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "halton-bench-"));
try {
  const perRow = openStore(join(dir, "per-row.sqlite"));
  const n1 = 20_000;
  let t0 = performance.now();
  for (let i = 0; i < n1; i++) insertRows(perRow, [row(i)]);
  console.log(`per-row transactions: ${Math.round(n1 / ((performance.now() - t0) / 1000))} rows/s`);
  perRow.close();

  const viaWriter = openStore(join(dir, "writer.sqlite"));
  const writer = createCaptureWriter(viaWriter, { maxQueue: 200_000 });
  const queued = Array.from({ length: 100_000 }, (_, i) => row(i));
  t0 = performance.now();
  for (const r of queued) writer.enqueue(r);
  const enqueueMs = performance.now() - t0;
  writer.flush();
  console.log(`writer: enqueue ${((enqueueMs / queued.length) * 1e6).toFixed(0)} ns/row on the caller's stack; enqueue+flush ${Math.round(queued.length / ((performance.now() - t0) / 1000))} rows/s`);
  writer.close();
  viaWriter.close();

  const store = openStore(join(dir, "db.sqlite"));
  t0 = performance.now();
  const batch = 1000;
  for (let i = 0; i < total; i += batch) insertRows(store, Array.from({ length: Math.min(batch, total - i) }, (_, j) => row(i + j)));
  console.log(`batched (${batch}/transaction): ${Math.round(total / ((performance.now() - t0) / 1000))} rows/s (${total} rows)`);

  time("countRows (all)", () => countRows(store));
  time("summary, total", () => summary(store));
  for (const groupBy of ["project", "model", "day"] as const) time(`summary by ${groupBy}, all rows`, () => summary(store, { groupBy }));
  time("summary by model, last 7 days", () => summary(store, { groupBy: "model", since: start + 83 * DAY }));
  time("summary by day, one project", () => summary(store, { groupBy: "day", project: "api" }));
  let page = time("listRequests first page (100)", () => listRequests(store));
  for (let i = 0; i < 50; i++) page = listRequests(store, { cursor: page.nextCursor });
  time("listRequests 51st page, project filter", () => listRequests(store, { cursor: page.nextCursor, project: "web" }));
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
