import { describe, expect, test } from "bun:test";
import type { Outcome } from "./_load.ts";
import { summarise } from "./_summary.ts";

// The chaos suite's judgement, on hand-made outcomes: what counts as a failure, what a crash
// excuses, and when a missing row is allowed.

const o = (id: string, start: number, end: number, extra: Partial<Outcome> = {}): Outcome => ({ id, client: "bun", kind: "json", start, end, ok: true, via: "daemon", ...extra });
const rows = (...ids: string[]) => {
  const m = new Map<string, number>();
  for (const id of ids) m.set(`chaos/${id}`, (m.get(`chaos/${id}`) ?? 0) + 1);
  return m;
};

describe("summarise", () => {
  test("a failure in flight at a kill -9 is cut by the crash; one that started after it is a failed new request", () => {
    const s = summarise({
      outcomes: [o("a", 100, 250, { ok: false }), o("b", 210, 260, { ok: false }), o("c", 300, 310)],
      kills: [200],
      rows: rows("c"),
      integrity: "ok",
    });
    expect(s.cutByCrash).toBe(1);
    expect(s.newFailed.map((x) => x.id)).toEqual(["b"]);
    expect(s.metered).toBe(1);
  });

  test("a provider reset is neither a failure nor a missing row, and its row is counted when present", () => {
    const s = summarise({
      outcomes: [o("r1", 0, 10, { kind: "sse-reset", ok: false }), o("r2", 0, 10, { kind: "sse-reset", ok: false, via: "edge" })],
      kills: [],
      rows: rows("r1"),
      integrity: "ok",
    });
    expect(s.newFailed).toEqual([]);
    expect(s.missingRows).toEqual([]);
    expect(s).toMatchObject({ upstreamResets: 2, resetsMetered: 1, resetRowsRecorded: 1, resetsMissingRows: [] });
  });

  test("a reset through the daemon without a row is missing, unless a kill -9 cut it or came right after", () => {
    const s = summarise({
      outcomes: [o("lost", 0, 50, { kind: "sse-reset", ok: false }), o("cut", 0, 300, { kind: "sse-reset", ok: false }), o("after", 0, 500, { kind: "sse-reset", ok: false })],
      kills: [200, 560],
      rows: rows(),
      integrity: "ok",
    });
    expect(s.resetsMissingRows.map((x) => x.id)).toEqual(["lost"]);
  });

  test("a metered answer without a row is missing, unless a kill -9 came within 100 ms of its end", () => {
    const s = summarise({
      outcomes: [o("near", 0, 1000), o("far", 0, 2000), o("tunnelled", 0, 3000, { via: "edge" })],
      kills: [1080],
      rows: rows(),
      integrity: "ok",
    });
    expect(s.missingNearCrash).toBe(1);
    expect(s.missingRows.map((x) => x.id)).toEqual(["far"]);
    expect(s.tunnelled).toBe(1);
  });

  test("two rows for one request are a duplicate; integrity must read exactly ok", () => {
    const s = summarise({ outcomes: [o("d", 0, 1), o("e", 0, 1)], kills: [], rows: rows("d", "d", "e"), integrity: "*** in database main ***" });
    expect(s.duplicated).toEqual(["d"]);
    expect(s.integrityOk).toBe(false);
  });

  test("a hang: requests begun in it are counted, and the slowest tunnelled JSON one is set against the p95 outside it", () => {
    const outside = Array.from({ length: 20 }, (_, i) => o(`n${i}`, i * 10, i * 10 + 5 + (i >= 18 ? 40 : 0)));
    const s = summarise({
      outcomes: [...outside, o("h1", 1000, 1160, { via: "edge" }), o("h2", 1100, 1130, { via: "edge" }), o("h3", 1050, 3000, { kind: "sse" }), o("late", 2500, 2505, { via: "edge" })],
      kills: [],
      hangs: [{ from: 1000, to: 2000 }],
      rows: rows(...outside.map((x) => x.id), "h3"),
      integrity: "ok",
    });
    expect(s.startedInHang).toBe(3);
    expect(s.tunnelledInHang).toBe(2);
    // h3 was already inside the daemon: it resumed with it and does not count against the budget.
    expect(s.slowestInHangMs).toBe(160);
    expect(s.typicalJsonMs).toBe(45);
  });
});
