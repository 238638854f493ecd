// The limit windows as the store keeps them: written with their request in one transaction, read
// back per provider, account and window; the account salt; and a finished exchange's account,
// session and windows as the capture path turns them into a row.

import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { rowFor } from "../../core/capture/row.ts";
import type { LimitSampleRow } from "../../core/store/limits.ts";
import { accountSalt, insertRows, LIMIT_SAMPLES_FULL_MS, limitWindows, listRequests, MIGRATIONS, openStore, reportedResets, thinLimitSamples } from "../../core/store/index.ts";
import type { ExchangeRecord } from "../../core/usage/types.ts";
import { freshStorePerTest, makeRow, olderSchemaFile, T0, tempDir } from "./_fixtures.ts";

const sample = (over: Partial<LimitSampleRow>): LimitSampleRow => ({
  provider: "anthropic", window: "5h", kind: "subscription", utilization: 0.2, limit: null, remaining: null,
  resetsAt: T0 + 3 * 3_600_000, windowMinutes: null, status: "allowed", observedAt: T0, ...over,
});

describe("limit_samples", () => {
  const s = freshStorePerTest();

  test("samples are written with their request and read back per window, newest and recent", () => {
    insertRows(s.store, [
      makeRow(1, { account: "acct-a", limits: [sample({ observedAt: T0 + 1000, utilization: 0.2 }), sample({ window: "7d", observedAt: T0 + 1000, utilization: 0.5, extra: { "surpassed-threshold": "0.5" } })] }),
      makeRow(2, { account: "acct-a", limits: [sample({ observedAt: T0 + 60_000, utilization: 0.25 })] }),
      makeRow(3, { account: "acct-b", limits: [sample({ observedAt: T0 + 90_000, utilization: 0.9, status: "allowed_warning" })] }),
      makeRow(4, { provider: "openai", account: "", limits: [sample({ provider: "openai", window: "tokens", kind: "rate-limit", utilization: 0.1, limit: 30000, remaining: 27000, observedAt: T0 + 5000 })] }),
    ]);
    const windows = limitWindows(s.store, { since: T0 + 30_000 });
    expect(windows.map((w) => `${w.provider}/${w.account}/${w.window}`)).toEqual(["anthropic/acct-a/5h", "anthropic/acct-a/7d", "anthropic/acct-b/5h", "openai//tokens"]);
    const a5 = windows[0]!;
    expect(a5.latest).toMatchObject({ utilization: 0.25, observedAt: T0 + 60_000, status: "allowed" });
    expect(a5.recent.map((r) => r.utilization)).toEqual([0.25]);
    expect(windows[1]!.latest.extra).toEqual({ "surpassed-threshold": "0.5" });
    expect(windows[1]!.recent).toEqual([]);
    expect(windows[3]!.latest).toMatchObject({ kind: "rate-limit", limit: 30000, remaining: 27000 });
    expect(limitWindows(s.store, { since: 0, seenSince: T0 + 80_000 }).map((w) => w.account)).toEqual(["acct-b"]);
    expect(limitWindows(s.store, { since: 0, provider: "openai" })).toHaveLength(1);
  });

  test("a duplicate exchange adds no second set of samples; a deleted request takes its samples with it", () => {
    const row = makeRow(1, { account: "x", limits: [sample({})] });
    insertRows(s.store, [row]);
    insertRows(s.store, [row]);
    const count = () => (s.store.db.query("SELECT COUNT(*) AS n FROM limit_samples").get() as { n: number }).n;
    expect(count()).toBe(1);
    s.store.db.run("DELETE FROM requests");
    expect(count()).toBe(0);
  });

  test("values SQLite or JSON cannot hold faithfully are stored as unknown, not refused", () => {
    insertRows(s.store, [makeRow(1, { limits: [sample({ utilization: Number.NaN, resetsAt: 1.5, windowMinutes: Number.POSITIVE_INFINITY })] })]);
    const [w] = limitWindows(s.store, { since: 0 });
    expect(w!.latest).toMatchObject({ utilization: null, resetsAt: null, windowMinutes: null });
    expect(w!.account).toBe("");
  });

  test("reportedResets lists each reset of one window once, within the observed range", () => {
    const r1 = T0 + 3_600_000;
    const r2 = T0 + 6 * 3_600_000;
    insertRows(s.store, [
      makeRow(1, { limits: [sample({ resetsAt: r1, observedAt: T0 })] }),
      makeRow(2, { limits: [sample({ resetsAt: r1, observedAt: T0 + 1 })] }),
      makeRow(3, { limits: [sample({ resetsAt: r2, observedAt: T0 + 2 * 3_600_000 }), sample({ window: "7d", resetsAt: T0 + 99, observedAt: T0 + 2 * 3_600_000 })] }),
    ]);
    expect(reportedResets(s.store, "5h", 0, T0 + 10 * 3_600_000)).toEqual([r1, r2]);
    expect(reportedResets(s.store, "5h", T0 + 3_600_000, T0 + 10 * 3_600_000)).toEqual([r2]);
    expect(reportedResets(s.store, "5h", 0, T0 + 10 * 3_600_000, "openai")).toEqual([]);
  });

  test("past a week each window keeps the newest sample of each hour (and of each reset, for subscription windows), a slice at a time; the resets and the last week stay", () => {
    const H = 3_600_000;
    const now = T0 + 10 * 24 * H;
    const start = T0 + 30 * 60_000; // half past: an hour of samples spans two clock hours
    const rows = [];
    for (let i = 0; i < 10 * 24 * 4; i++) {
      const at = start + i * 15 * 60_000;
      // The 5h window resets every five hours at twenty past; the API-key bucket reports a reset per response.
      const reset = T0 + 20 * 60_000 + (Math.floor((at - T0 - 20 * 60_000) / (5 * H)) + 1) * 5 * H;
      rows.push(makeRow(i, { startedAt: at, limits: [sample({ observedAt: at, resetsAt: reset, utilization: (i % 20) / 20 }), sample({ window: "tokens", kind: "rate-limit", observedAt: at, resetsAt: at + 7000, utilization: 0.1 })] }));
    }
    insertRows(s.store, rows);
    const count = (where: string) => (s.store.db.query(`SELECT COUNT(*) AS n FROM limit_samples WHERE ${where}`).get() as { n: number }).n;
    const cutoff = now - LIMIT_SAMPLES_FULL_MS;
    const recentBefore = count(`observed_at >= ${cutoff}`);
    const resetsBefore = reportedResets(s.store, "5h", 0, now);

    // A clock past its budget after each slice: one hour per call, from where the last call stopped.
    let tick = 0;
    const slow = () => (tick += 10);
    const first = thinLimitSamples(s.store, now, { clock: slow });
    expect(first.thinnedTo).toBe(T0 + H);
    expect(first.deleted).toBe(2); // 12:30 and 12:45: one 5h and one tokens sample each, the newest kept
    expect(thinLimitSamples(s.store, now, { clock: slow }).thinnedTo).toBe(T0 + 2 * H);

    let last = first;
    while ((last = thinLimitSamples(s.store, now, { budgetMs: 1e9 })).deleted > 0);
    expect(last.thinnedTo).toBe(cutoff);
    const oldHours = (cutoff - T0) / H;
    expect(count(`observed_at < ${cutoff} AND window_name = 'tokens'`)).toBe(oldHours);
    // An hour holding a reset (5h20, 10h20, ... 70h20 before the cutoff) keeps one sample on each side of it.
    expect(count(`observed_at < ${cutoff} AND window_name = '5h'`)).toBe(oldHours + 14);
    expect(count(`observed_at >= ${cutoff}`)).toBe(recentBefore);
    expect(reportedResets(s.store, "5h", 0, now)).toEqual(resetsBefore);
    // What is kept of an hour is its newest sample: 13:45's, not 13:00's.
    const kept = s.store.db.query(`SELECT observed_at FROM limit_samples WHERE window_name = 'tokens' AND observed_at >= ${T0 + H} AND observed_at < ${T0 + 2 * H}`).all();
    expect(kept).toEqual([{ observed_at: T0 + H + 45 * 60_000 }]);
    // Nothing left to do until the week moves on; an hour later, one more hour.
    expect(thinLimitSamples(s.store, now, { budgetMs: 1e9 })).toEqual({ deleted: 0, thinnedTo: cutoff });
    expect(thinLimitSamples(s.store, now + H, { budgetMs: 1e9 }).thinnedTo).toBe(cutoff + H);
  });

  test("thinning an empty table or a store without samples does nothing", () => {
    expect(thinLimitSamples(s.store, T0)).toEqual({ deleted: 0, thinnedTo: null });
  });

  test("account and session are stored on the request row", () => {
    insertRows(s.store, [makeRow(1, { account: "0123456789abcdef", session: "sess-1" })]);
    expect(listRequests(s.store).rows[0]).toMatchObject({ account: "0123456789abcdef", session: "sess-1" });
  });
});

describe("the account salt", () => {
  test("each store gets its own, random, and keeps it across opens; a store from before it gets one on upgrade", () => {
    const tmp = tempDir();
    try {
      const a = openStore(tmp.path("a.sqlite"));
      const b = openStore(tmp.path("b.sqlite"));
      const saltA = accountSalt(a);
      expect(saltA).toMatch(/^[0-9a-f]{64}$/);
      expect(accountSalt(b)).not.toBe(saltA);
      a.close();
      b.close();
      const again = openStore(tmp.path("a.sqlite"));
      expect(accountSalt(again)).toBe(saltA);
      again.close();

      olderSchemaFile(tmp.path("old.sqlite"), 3, [makeRow(1)]);
      const upgraded = openStore(tmp.path("old.sqlite"));
      expect(upgraded.schemaVersion).toBe(MIGRATIONS.length);
      expect(accountSalt(upgraded)).toMatch(/^[0-9a-f]{64}$/);
      expect(listRequests(upgraded).rows[0]).toMatchObject({ exchangeId: "ex-1", account: null, session: null });
      upgraded.close();
      const raw = new Database(tmp.path("old.sqlite"), { readonly: true });
      expect(raw.query("SELECT COUNT(*) AS n FROM limit_samples").get()).toEqual({ n: 0 });
      raw.close();
    } finally {
      tmp.remove();
    }
  });
});

describe("a finished exchange as a row: account, session, windows", () => {
  const AT = T0 + 2000;
  const exchange = (over: Partial<ExchangeRecord>): ExchangeRecord => ({
    exchangeId: "e1", host: "api.anthropic.com", method: "POST", target: "/v1/messages", startedAt: T0, firstByteAt: AT, endedAt: T0 + 5000,
    status: 200, complete: true, usage: null, error: null, bodies: null,
    requestHeaders: [["Authorization", "Bearer sk-ant-oat01-secret-token"], ["X-Claude-Code-Session-Id", "5f0c8a2e-1111-4222-8333-444455556666"]],
    responseHeaders: [
      ["anthropic-ratelimit-unified-5h-utilization", "0.42"],
      ["anthropic-ratelimit-unified-5h-reset", String(Math.floor(T0 / 1000) + 7200)],
      ["anthropic-ratelimit-unified-status", "allowed"],
    ],
    ...over,
  });
  const ctx = (accountSalt: string) => ({ pid: 7, attribution: { project: "alpha", source: "env" as const }, overrides: {}, accountSalt });

  test("the credential becomes a salted fingerprint that is not the credential; the windows are read at the head's time", () => {
    const row = rowFor(exchange({}), ctx("salt-1"));
    expect(row.account).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(row)).not.toContain("secret-token");
    expect(rowFor(exchange({}), ctx("salt-2")).account).not.toBe(row.account);
    expect(rowFor(exchange({ requestHeaders: [["authorization", "Bearer other"]] }), ctx("salt-1")).account).not.toBe(row.account);
    expect(row.session).toBe("5f0c8a2e-1111-4222-8333-444455556666");
    const five = row.limits!.find((l) => l.window === "5h");
    expect(five).toMatchObject({ provider: "anthropic", utilization: 0.42, resetsAt: (Math.floor(T0 / 1000) + 7200) * 1000, observedAt: AT });
    expect(row.limits!.find((l) => l.window === "unified")).toMatchObject({ status: "allowed" });
  });

  test("Codex's in-stream report is read at the time it came, beside the head's", () => {
    const row = rowFor(
      exchange({
        host: "chatgpt.com", target: "/backend-api/codex/responses", method: "WS", responseHeaders: [],
        requestHeaders: [["chatgpt-account-id", "acc-1"], ["session_id", "conv-9"]],
        rateLimits: { type: "codex.rate_limits", rate_limits: { primary: { used_percent: 12, window_minutes: 300, reset_at: 1_800_000_000 } } },
        rateLimitsAt: T0 + 4000,
      }),
      ctx("s"),
    );
    expect(row.session).toBe("conv-9");
    expect(row.limits).toEqual([expect.objectContaining({ provider: "chatgpt", window: "primary", utilization: 0.12, windowMinutes: 300, resetsAt: 1_800_000_000_000, observedAt: T0 + 4000 })]);
  });

  test("no credential is account ''; a session id that is not an id is not kept; a host that is no provider has no account", () => {
    const row = rowFor(exchange({ requestHeaders: [["x-claude-code-session-id", "bad id with spaces"]] }), ctx("s"));
    expect(row.account).toBe("");
    expect(row.session).toBeNull();
    expect(rowFor(exchange({ host: "example.com" }), ctx("s"))).toMatchObject({ account: null, limits: [] });
  });
});
