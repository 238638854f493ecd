// The capture check: a real writer on a store that has run out of pages, its counters served by
// /health through app.request(), and doctor's finding made from that answer.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createApi } from "../../core/api/app.ts";
import { readHealth, type Health } from "../../core/api/health.ts";
import { checkCapture } from "../../core/doctor/checks/capture.ts";
import { doctorContext, type DoctorDeps } from "../../core/doctor/context.ts";
import { writeEffectivePorts } from "../../core/ports/index.ts";
import { type CaptureWriter, createCaptureWriter, openStore, type Store } from "../../core/store/index.ts";
import { makeRow, manualTimers } from "../store/_fixtures.ts";
import { tempDir } from "../report/_seed.ts";
import { quietDeps } from "./_deps.ts";

const API_PORT = 48766;
let tmp: ReturnType<typeof tempDir>;
let deps: DoctorDeps;
let store: Store;
let writer: CaptureWriter;
let clock: ReturnType<typeof manualTimers>;

/** What `halton-meter doctor` would hear from a daemon whose writer is `writer`. */
async function health(): Promise<Health> {
  const app = createApi({ version: "test", pid: 7, startedAt: 0, port: () => API_PORT, capture: () => writer.stats() });
  const res = await app.request(`http://127.0.0.1:${API_PORT}/health`, { headers: { host: `127.0.0.1:${API_PORT}` } });
  const read = readHealth(await res.json());
  if (!read.ok) throw new Error(`the daemon's own /health did not read back: ${read.why}`);
  return read.health;
}

const answering = (h: Health | null): DoctorDeps["health"] => async () => (h ? { ok: true, value: h } : { ok: false, status: 0, error: "no answer" });
const check = async (h: Health | null) => checkCapture(doctorContext({ ...deps, health: answering(h) }));
const pages = () => (store.db.query("PRAGMA page_count").get() as { page_count: number }).page_count;

beforeEach(() => {
  tmp = tempDir("hm-doctor-capture-");
  deps = quietDeps(tmp);
  const paths = deps.paths;
  writeEffectivePorts(paths.effectivePorts, { edge: 48767, internal: 48768, api: API_PORT });
  deps = { ...deps, health: answering(null) };
  store = openStore(paths.db);
  clock = manualTimers();
  writer = createCaptureWriter(store, { timers: clock.timers, maxQueue: 5, onError: () => {} });
});
afterEach(() => {
  store.close();
  tmp.remove();
});

describe("/health carries the writer's counters", () => {
  test("queued, committed, dropped, failed flushes and the last error, in the API's spelling", async () => {
    writer.enqueue(makeRow(1));
    clock.fire();
    expect((await health()).capture).toEqual({ queued: 0, committed: 1, dropped: 0, failed_flushes: 0, last_error: null });
  });

  test("a process without a writer says nothing about capture", async () => {
    const app = createApi({ version: "test", pid: 7, startedAt: 0, port: () => API_PORT });
    const res = await app.request(`http://127.0.0.1:${API_PORT}/health`, { headers: { host: `127.0.0.1:${API_PORT}` } });
    expect(Object.keys(await res.json())).not.toContain("capture");
  });
});

describe("doctor's capture check", () => {
  test("ok while every row is written", async () => {
    for (let i = 0; i < 3; i++) writer.enqueue(makeRow(i));
    clock.fire();
    expect(await check(await health())).toEqual({ name: "capture", status: "ok", detail: "3 rows written since the daemon started, none dropped", hint: null });
  });

  test("a full disk: rows waiting, then rows dropped, each with what to do", async () => {
    writer.enqueue(makeRow(0));
    clock.fire();
    store.db.run(`PRAGMA max_page_count = ${pages()}`);
    for (let i = 1; i <= 4; i++) writer.enqueue(makeRow(i, { note: "x".repeat(6000) }));
    clock.fire();
    const waiting = await check(await health());
    expect(waiting.status).toBe("warn");
    expect(waiting.detail).toStartWith("4 rows waiting to be written (disk full?): ");
    expect(waiting.detail).toContain("SQLITE_FULL");
    expect(waiting.hint).toContain(`df -h ${deps.paths.home}`);

    for (let i = 5; i <= 7; i++) writer.enqueue(makeRow(i));
    const both = await check(await health());
    expect(both.detail).toContain("5 rows waiting to be written");
    expect(both.detail).toEndWith("; 2 rows dropped since start");
    expect(both.hint).toContain("queue_max_rows (10000)");

    store.db.run("PRAGMA max_page_count = 4294967294");
    clock.fire();
    expect(await check(await health())).toMatchObject({ status: "warn", detail: "2 rows dropped since start" });
  });

  test("skipped when the daemon does not answer, or answers without capture counters", async () => {
    expect(await check(null)).toMatchObject({ status: "skip", detail: "the daemon is not answering" });
    const { capture: _, ...older } = await health();
    expect(await check(older)).toMatchObject({ status: "skip", detail: expect.stringContaining("older build") });
  });
});
