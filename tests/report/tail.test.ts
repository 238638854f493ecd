// `halton-meter tail` as a real process while the capture writer adds rows: every row once, in
// order, self-test canaries left out, and a clean exit on SIGINT.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { createCaptureWriter, insertRows, openStore, type Store } from "../../core/store/index.ts";
import { BUN, makeSandbox, repoRoot, waitFor, type Sandbox } from "../harness/sandbox.ts";
import { seedRows } from "./_seed.ts";

let sb: Sandbox;
let store: Store;
const ROWS = seedRows(80).filter((r) => r.provider !== "halton-meter");
const CANARY = seedRows(80).find((r) => r.provider === "halton-meter")!;

beforeAll(() => {
  sb = makeSandbox("hm-tail-");
  store = openStore(join(sb.meterHome, "db.sqlite"));
  insertRows(store, ROWS.slice(0, 5));
});
afterAll(async () => {
  store.close();
  await sb.cleanup();
});

/** Starts `tail` and collects its stdout lines as they come. */
function startTail(args: string[], home = sb.meterHome): { proc: Subprocess; lines: string[] } {
  const proc = sb.spawn([BUN, join(repoRoot, "cmd/halton-meter.ts"), "tail", ...args], { env: { HALTON_METER_HOME: home } });
  const lines: string[] = [];
  void (async () => {
    let pending = "";
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      const parts = pending.split("\n");
      pending = parts.pop()!;
      lines.push(...parts);
    }
  })();
  return { proc, lines };
}

async function interrupt(proc: Subprocess): Promise<number> {
  process.kill(proc.pid, "SIGINT");
  return await proc.exited;
}

describe("tail", () => {
  test("--json: the backlog, then every new row exactly once, in order; SIGINT exits 0", async () => {
    const { proc, lines } = startTail(["--json", "-n", "2"]);
    await waitFor(() => lines.length >= 2, "the backlog");
    const writer = createCaptureWriter(store);
    for (let batch = 0; batch < 6; batch++) {
      for (const row of ROWS.slice(5 + batch * 5, 10 + batch * 5)) writer.enqueue(row);
      if (batch === 3) writer.enqueue(CANARY);
      writer.flush();
      await Bun.sleep(0);
    }
    await waitFor(() => lines.length >= 32, "32 lines", 15_000);
    expect(await interrupt(proc)).toBe(0);
    const seen = lines.map((l) => JSON.parse(l) as { id: number; project: string | null; provider: string; costUsd: string | null; tokens: { input: number } });
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    // 1-5 were there before; 6-25, the canary (26), then 27-36 were written while tail ran
    expect(seen.map((r) => r.id)).toEqual([4, 5, ...range(6, 26), ...range(27, 37)]);
    expect(new Set(seen.map((r) => r.id)).size).toBe(seen.length);
    expect(seen.some((r) => r.provider === "halton-meter")).toBe(false);
    expect(seen[2]).toMatchObject({ project: ROWS[5]!.project ?? null, provider: ROWS[5]!.provider, tokens: { input: ROWS[5]!.tokens.input } });
    writer.close();
  });

  test("text lines carry time, project, client, model, tokens, cost and latency", async () => {
    const { proc, lines } = startTail(["-n", "1"]);
    await waitFor(() => lines.length >= 1, "one line");
    expect(await interrupt(proc)).toBe(0);
    const last = ROWS[34]!;
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d  /);
    for (const part of [last.project ?? "(none)", last.client!, last.model!, `in ${last.tokens.input}`]) expect(lines[0]).toContain(part);
    expect(lines[0]).toMatch(/\$\d+\.\d{4}|unpriced/);
  });

  test("before the daemon ever wrote a database it waits for one", async () => {
    const home = join(sb.root, "fresh");
    mkdirSync(home, { recursive: true });
    const { proc, lines } = startTail(["-n", "0"], home);
    await waitFor(() => lines.some((l) => l.startsWith("waiting for the first captured request")), "the waiting note");
    const later = openStore(join(home, "db.sqlite"));
    insertRows(later, [ROWS[0]!]);
    later.close();
    await waitFor(() => lines.some((l) => l.includes(ROWS[0]!.model!)), "the first row");
    expect(await interrupt(proc)).toBe(0);
  });
});
