import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { bodiesStats, insertRows, purgeBodies, redactSecrets } from "../../core/store/index.ts";
import { freshStorePerTest, makeRow, T0 } from "./_fixtures.ts";

const KEYS = {
  anthropic: "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcdefghijklmnopqrstuvwx-1234567890AA",
  openaiProject: "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijklmn",
  openai: "sk-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghij",
  google: "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
  xai: "xai-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCD",
};
const BEARER_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dGVzdHNpZ25hdHVyZQ";

describe("redactSecrets", () => {
  test("the Google key shape is exactly AIza + 35 characters", () => {
    expect(KEYS.google).toHaveLength(39);
  });

  for (const [name, key] of Object.entries(KEYS)) {
    test(`a ${name} key anywhere in the text`, () => {
      const text = `{"note": "my key is ${key} ok", "other": "${key}"}`;
      const out = redactSecrets(text);
      expect(out).not.toContain(key);
      expect(out).toContain("[redacted]");
      expect(out).toContain('"note": "my key is');
    });
  }

  test("credential header lines keep their name and lose their value", () => {
    const head = [
      "POST /v1/messages HTTP/1.1",
      "Authorization: Bearer opaque-token-1234567890",
      "x-api-key: not-even-key-shaped",
      "X-Goog-Api-Key: whatever-it-is",
      "Cookie: session=abc; other=def",
      "Set-Cookie: id=xyz; HttpOnly",
      "Content-Type: application/json",
      "",
    ].join("\r\n");
    expect(redactSecrets(head)).toBe(
      [
        "POST /v1/messages HTTP/1.1",
        "Authorization: [redacted]",
        "x-api-key: [redacted]",
        "X-Goog-Api-Key: [redacted]",
        "Cookie: [redacted]",
        "Set-Cookie: [redacted]",
        "Content-Type: application/json",
        "",
      ].join("\r\n"),
    );
  });

  test("credential headers inside JSON", () => {
    const json = JSON.stringify({ headers: { authorization: "Basic dXNlcjpwYXNz", "x-api-key": 'weird \\"quoted\\" value', accept: "*/*" } });
    const out = JSON.parse(redactSecrets(json));
    expect(out.headers).toEqual({ authorization: "[redacted]", "x-api-key": "[redacted]", accept: "*/*" });
  });

  test("a bare Bearer token is redacted, the word Bearer kept", () => {
    expect(redactSecrets(`curl -H "Bearer ${BEARER_TOKEN}"`)).toBe('curl -H "Bearer [redacted]"');
  });

  test("ordinary text is left alone", () => {
    const text = "task-force of the risk-averse: sk-learn, AIza is short, xai-1, Bearer of news";
    expect(redactSecrets(text)).toBe(text);
  });
});

const db = freshStorePerTest();

describe("body capture", () => {
  test("bodies are stored redacted; the raw key never reaches the file", () => {
    const request = JSON.stringify({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: `use ${KEYS.anthropic}` }] });
    insertRows(db.store, [makeRow(1, { bodies: { request, response: '{"ok":true}' } })]);
    const stored = db.store.db.query("SELECT request_body, response_body, request_bytes FROM bodies").get() as Record<string, string | number>;
    expect(stored.request_body).toBe(redactSecrets(request));
    expect(stored.response_body).toBe('{"ok":true}');
    expect(stored.request_bytes).toBe(Buffer.byteLength(redactSecrets(request)));
    db.store.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const raw = readFileSync(db.tmp.path("db.sqlite")).toString("latin1");
    expect(raw).toContain("[redacted]");
    expect(raw).not.toContain(KEYS.anthropic);
  });

  test("a key in the request path (Gemini's ?key=) or a note is not stored", () => {
    insertRows(db.store, [makeRow(1, { path: `/v1beta/models/gemini-2.5-pro:generateContent?key=${KEYS.google}&alt=sse`, note: `upstream said: bad key ${KEYS.openai}` })]);
    expect(db.store.db.query("SELECT path, note FROM requests").get()).toEqual({
      path: "/v1beta/models/gemini-2.5-pro:generateContent?key=[redacted]&alt=sse",
      note: "upstream said: bad key [redacted]",
    });
  });

  test("a duplicate exchange stores no second body", () => {
    insertRows(db.store, [makeRow(1, { bodies: { request: "a", response: null } })]);
    insertRows(db.store, [makeRow(1, { bodies: { request: "b", response: null } })]);
    expect(bodiesStats(db.store)).toMatchObject({ count: 1, bytes: 1 });
  });

  test("stats, purge by age, purge all with VACUUM, and cascade from requests", () => {
    insertRows(db.store, [
      makeRow(1, { endedAt: T0, bodies: { request: "x".repeat(100), response: "y".repeat(50) } }),
      makeRow(2, { endedAt: T0 + 10_000, bodies: { request: "z".repeat(10), response: null } }),
      makeRow(3, { endedAt: T0 + 20_000, bodies: { request: null, response: "w" } }),
    ]);
    expect(bodiesStats(db.store)).toEqual({ count: 3, bytes: 161, oldestAt: T0 });

    expect(purgeBodies(db.store, { olderThanMs: 15_000, now: T0 + 30_000 })).toEqual({ deleted: 2, vacuumed: false });
    expect(bodiesStats(db.store)).toEqual({ count: 1, bytes: 1, oldestAt: T0 + 20_000 });

    db.store.db.run("DELETE FROM requests WHERE exchange_id = 'ex-3'");
    expect(bodiesStats(db.store).count).toBe(0);

    insertRows(db.store, [makeRow(4, { bodies: { request: "q", response: "r" } })]);
    expect(purgeBodies(db.store, { vacuum: true })).toEqual({ deleted: 1, vacuumed: true });
    expect(bodiesStats(db.store)).toEqual({ count: 0, bytes: 0, oldestAt: null });
  });
});
