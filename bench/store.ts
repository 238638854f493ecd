// Store benchmark: insert throughput (one transaction per row vs batched through the capture
// writer's insertRows) and report queries over a 1M-row database.
// Run: node_modules/.bin/bun bench/store.ts [rows=1000000]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countRows, createCaptureWriter, insertRows, listRequests, openStore, summary } from "../core/store/index.ts";
import { DAY, syntheticRow } from "./_rows.ts";

const total = Number(process.argv[2] ?? 1_000_000);
const start = Date.UTC(2026, 0, 1);
const row = (i: number) => syntheticRow(i, total, start);

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
