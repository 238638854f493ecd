// Committed means committed: WAL with synchronous=NORMAL survives the process being killed
// (it can lose the last transactions only on an OS crash or power loss).

import { afterEach, beforeEach, expect, test } from "bun:test";
import { countRows, integrityCheck, openStore } from "../../core/store/index.ts";
import { tempDir } from "./_fixtures.ts";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

/** Reads "committed <n>" lines until n reaches `atLeast`; returns the last n the child reported. */
async function readUntil(stream: ReadableStream<Uint8Array>, atLeast: number): Promise<number> {
  const decoder = new TextDecoder();
  let buffered = "";
  let last = 0;
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      const match = /^committed (\d+)$/.exec(line);
      if (match) last = Number(match[1]);
    }
    if (last >= atLeast) return last;
  }
  throw new Error(`child stopped after committing ${last} rows`);
}

test("every row the writer reported committed survives kill -9", async () => {
  const path = tmp.path("db.sqlite");
  const child = Bun.spawn([process.execPath, new URL("./_child-writer.ts", import.meta.url).pathname, path], { stdout: "pipe", stderr: "inherit" });
  let reported = 0;
  try {
    reported = await readUntil(child.stdout, 5_000);
    process.kill(child.pid, "SIGKILL");
  } finally {
    child.kill("SIGKILL");
  }
  expect(await child.exited).not.toBe(0);
  expect(child.signalCode).toBe("SIGKILL");

  const store = openStore(path);
  try {
    expect(integrityCheck(store).ok).toBe(true);
    expect(countRows(store)).toBeGreaterThanOrEqual(reported);
    // Rows are committed in the order they were enqueued: the first `reported` ids are all there.
    const missing = store.db
      .query("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?) SELECT COUNT(*) AS c FROM n WHERE NOT EXISTS (SELECT 1 FROM requests WHERE exchange_id = 'ex-' || n.i)")
      .get(reported) as { c: number };
    expect(missing.c).toBe(0);
  } finally {
    store.close();
  }
});
