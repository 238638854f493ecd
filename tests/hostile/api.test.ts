// The daemon's API port (a real process) against path tricks, bad query parameters, foreign
// hosts and origins, other methods and malformed HTTP. Each gets its exact status and JSON
// answer (or Bun's own refusal for what never reaches the app), never a stack trace or a CORS
// header; the daemon stays up and small.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { exchange } from "../harness/client.ts";
import { STARTUP_HOOK_MS } from "../harness/meter.ts";
import { type HostileEnv, mb, RSS_BOUND, startHostileEnv, vitals } from "./_env.ts";
import { bodyOf, statusLine } from "./_wire.ts";

let env: HostileEnv;
beforeAll(async () => {
  env = await startHostileEnv();
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

interface ApiCase {
  name: string;
  /** The request target. */
  path: string;
  method?: string;
  version?: string;
  /** Extra header lines. */
  headers?: string;
  /** Replaces our Host line; null leaves it out. */
  host?: string | null;
  body?: string;
  status: string;
  /** The exact JSON answer, or its error with a pattern for `detail`. */
  json?: Record<string, unknown> | { error: string; detail: RegExp };
}

const NOT_FOUND = { error: "not found" };
const invalid = (detail: string) => ({ error: "invalid request", detail });
const FORBIDDEN_HOST = { error: "forbidden host", detail: "the Halton Meter API answers only requests addressed to 127.0.0.1" };
const FORBIDDEN_ORIGIN = { error: "forbidden origin", detail: "the Halton Meter API does not answer other web sites" };
const READ_ONLY = { error: "method not allowed", detail: "the Halton Meter API is read-only: use GET" };
const DURATION = "is not a duration: use a number and a unit (s, m, h, d or w), such as 30m, 24h, 7d, 2w or 1d12h";
const OK = "HTTP/1.1 200 OK";
const E400 = "HTTP/1.1 400 Bad Request";
const E403 = "HTTP/1.1 403 Forbidden";
const E404 = "HTTP/1.1 404 Not Found";
const E405 = "HTTP/1.1 405 Method Not Allowed";

const CASES: ApiCase[] = [
  // Path tricks
  { name: "dot-dot segments", path: "/../../etc/passwd", status: E404, json: NOT_FOUND },
  { name: "encoded dot-dot", path: "/%2e%2e/%2e%2e/etc/passwd", status: E404, json: NOT_FOUND },
  { name: "dot-dot under /assets", path: "/assets/../../../etc/passwd", status: E404, json: NOT_FOUND },
  { name: "encoded slashes under /assets", path: "/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd", status: E404, json: NOT_FOUND },
  { name: "encoded dot-dot as a grouping", path: "/v1/stats/..%2f..%2fetc", status: E400, json: invalid('"../../etc" is not a grouping: use one of project, model, provider, client, day') },
  { name: "encoded dot-dot as a project", path: "/v1/projects/..%2F..", status: E404, json: { error: "not found", detail: 'no request was ever attributed to project "../.."' } },
  { name: "an encoded NUL as the path", path: "/%00", status: E404, json: NOT_FOUND },
  { name: "an encoded NUL after a route", path: "/v1/stats%00", status: E404, json: NOT_FOUND },
  { name: "an encoded NUL as a project", path: "/v1/projects/%00", status: E404, json: { error: "not found", detail: 'no request was ever attributed to project "\u0000"' } },
  { name: "invalid percent-encoding as a grouping", path: "/v1/stats/%ff", status: E400, json: invalid('"%ff" is not a grouping: use one of project, model, provider, client, day') },
  { name: "raw non-UTF-8 bytes in the path", path: "/\xff\xfe", status: E404, json: NOT_FOUND },
  { name: "a doubled slash", path: "//health", status: E404, json: NOT_FOUND },
  { name: "a trailing slash", path: "/v1/stats/", status: E404, json: NOT_FOUND },
  { name: "upper case", path: "/HEALTH", status: E404, json: NOT_FOUND },
  { name: "a project name of 8,000 bytes", path: `/v1/projects/${"x".repeat(8000)}`, status: E404, json: { error: "not found", detail: `no request was ever attributed to project "${"x".repeat(8000)}"` } },
  { name: "a path of 100 KB", path: `/v1/${"a".repeat(100_000)}`, status: "HTTP/1.1 431 Request Header Fields Too Large" },
  { name: "a query string of 20 KB", path: `/v1/stats?since=${"9".repeat(20_000)}d`, status: "HTTP/1.1 431 Request Header Fields Too Large" },
  // Query parameters
  { name: "since not a duration", path: "/v1/stats?since=abc", status: E400, json: invalid(`since: "abc" ${DURATION}`) },
  { name: "since negative", path: "/v1/stats?since=-7d", status: E400, json: invalid(`since: "-7d" ${DURATION}`) },
  { name: "since zero", path: "/v1/stats?since=0d", status: E400, json: invalid('since: "0d" is a period of no length: use one such as 30m, 24h, 7d or 2w') },
  { name: "since absurd", path: "/v1/stats?since=99999999999d", status: E400, json: invalid(`since: "99999999999d" ${DURATION}`) },
  { name: "since empty", path: "/v1/stats?since=", status: E400, json: invalid("since: since must not be empty") },
  { name: "since without a value", path: "/v1/stats?since", status: E400, json: invalid("since: since must not be empty") },
  { name: "since with an encoded NUL", path: "/v1/stats?since=7d%00", status: E400, json: invalid(`since: "7d\u0000" ${DURATION}`) },
  { name: "since with invalid percent-encoding", path: "/v1/stats?since=%ff", status: E400, json: invalid(`since: "%ff" ${DURATION}`) },
  { name: "since given twice", path: "/v1/stats?since=1d&since=x", status: E400, json: invalid("since: given 2 times; give it once") },
  { name: "from an impossible date", path: "/v1/stats?from=2026-02-30", status: E400, json: { error: "invalid request", detail: /^from: "2026-02-30" is not a date or time/ } },
  { name: "from after to", path: "/v1/stats?from=2026-01-01&to=2020-01-01", status: E400, json: invalid("from (2026-01-01) must be before to (2020-01-01)") },
  { name: "an unknown parameter", path: "/v1/stats?since=7d&bogus=1", status: E400, json: invalid('unknown parameter "bogus"') },
  { name: "an encoded NUL as a parameter name", path: "/v1/stats?%00=1", status: E400, json: invalid('unknown parameter "\u0000"') },
  { name: "include_self_test not a flag", path: "/v1/stats?include_self_test=2", status: E400, json: invalid("include_self_test: use 1 or 0") },
  { name: "a project name of 201 characters", path: `/v1/stats?project=${"p".repeat(201)}`, status: E400, json: invalid("project: project is too long") },
  { name: "an unknown grouping", path: "/v1/stats/weekday", status: E400, json: invalid('"weekday" is not a grouping: use one of project, model, provider, client, day') },
  { name: "limit zero", path: "/v1/requests?limit=0", status: E400, json: invalid("limit: at least 1") },
  { name: "limit negative", path: "/v1/requests?limit=-1", status: E400, json: invalid("limit: a whole number") },
  { name: "limit above 1000", path: "/v1/requests?limit=1001", status: E400, json: invalid("limit: at most 1000") },
  { name: "limit in exponent form", path: "/v1/requests?limit=1e3", status: E400, json: invalid("limit: a whole number") },
  { name: "limit given twice", path: "/v1/requests?limit=1&limit=2", status: E400, json: invalid("limit: given 2 times; give it once") },
  { name: "after of 20 digits", path: "/v1/requests?after=99999999999999999999", status: E400, json: invalid("after: a whole number") },
  { name: "after and cursor together", path: "/v1/requests?after=1&cursor=x", status: E400, json: invalid("use either after (live, oldest first) or cursor (pages, newest first)") },
  { name: "a forged cursor", path: "/v1/requests?cursor=eyJ0IjoxfQ", status: E400, json: invalid("cursor: invalid page cursor: pass back the nextCursor of the previous page") },
  { name: "a cursor of NUL", path: "/v1/requests?cursor=%00", status: E400, json: invalid("cursor: invalid page cursor: pass back the nextCursor of the previous page") },
  { name: "limit on the CSV export", path: "/v1/requests.csv?limit=1", status: E400, json: invalid("the CSV export takes filters and a period, not limit, cursor or after") },
  { name: "a project of an encoded NUL matches nothing", path: "/v1/requests?project=%00", status: OK, json: { rows: [], nextCursor: null } },
  // Host and origin
  { name: "a foreign Host", path: "/health", host: "evil.example", status: E403, json: FORBIDDEN_HOST },
  { name: "a rebound name for 127.0.0.1", path: "/v1/stats", host: "127.0.0.1.nip.io", status: E403, json: FORBIDDEN_HOST },
  { name: "our address on another port", path: "/health", host: "127.0.0.1:1", status: E403, json: FORBIDDEN_HOST },
  { name: "the address as a number", path: "/health", host: "2130706433", status: E403, json: FORBIDDEN_HOST },
  { name: "an empty Host", path: "/health", host: "", status: E403, json: FORBIDDEN_HOST },
  { name: "no Host in HTTP/1.1: Bun's parser refuses it", path: "/health", host: null, status: E400 },
  { name: "no Host in HTTP/1.0", path: "/health", version: "HTTP/1.0", host: null, status: E403, json: FORBIDDEN_HOST },
  { name: "our Host, then a foreign one", path: "/health", headers: "Host: evil.example\r\n", status: E403, json: FORBIDDEN_HOST },
  { name: "a foreign Origin", path: "/v1/stats", headers: "Origin: http://evil.example\r\n", status: E403, json: FORBIDDEN_ORIGIN },
  { name: "Origin null (a sandboxed frame)", path: "/v1/stats", headers: "Origin: null\r\n", status: E403, json: FORBIDDEN_ORIGIN },
  { name: "an Origin that only starts like ours", path: "/health", headers: "Origin: http://127.0.0.1.evil.example\r\n", status: E403, json: FORBIDDEN_ORIGIN },
  { name: "Sec-Fetch-Site cross-site", path: "/v1/requests", headers: "Sec-Fetch-Site: cross-site\r\n", status: E403, json: FORBIDDEN_ORIGIN },
  // Methods
  ...["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"].map((method) => ({ name: `${method}`, method, path: "/v1/stats", status: E405, json: READ_ONLY })),
  { name: "CONNECT to the API itself", method: "CONNECT", path: "127.0.0.1:1", status: E405, json: READ_ONLY },
  { name: "a DELETE with a body", method: "DELETE", path: "/v1/requests", headers: "Content-Length: 2\r\n", body: "{}", status: E405, json: READ_ONLY },
];

function requestOf(c: ApiCase): string {
  const port = env.sb.ports.api;
  const host = c.host === undefined ? `Host: 127.0.0.1:${port}\r\n` : c.host === null ? "" : `Host: ${c.host}\r\n`;
  return `${c.method ?? "GET"} ${c.path} ${c.version ?? "HTTP/1.1"}\r\n${host}${c.headers ?? ""}Connection: close\r\n\r\n${c.body ?? ""}`;
}

/** A stack trace or a source path in an answer is a leak, whatever the status. */
const LEAKS = /\bat \S+ \(|\.ts:\d+|node_modules|\/work\/|Error:/;

describe("the API's answers to hostile requests", () => {
  test.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const got = await exchange(env.sb.ports.api, Buffer.from(requestOf(c), "latin1"));
    const text = got.bytes.toString("latin1");
    expect(statusLine(got.bytes)).toBe(c.status);
    expect(got.closed).toBe(true);
    expect(text).not.toMatch(LEAKS);
    expect(text.toLowerCase()).not.toContain("access-control-");
    if (c.json === undefined) return;
    expect(text).toContain("\r\nX-Halton-Meter-Api: 1\r\n");
    const body = JSON.parse(bodyOf(got.bytes));
    if (c.json.detail instanceof RegExp) {
      expect(body.error).toBe(c.json.error);
      expect(body.detail).toMatch(c.json.detail);
    } else expect(body).toEqual(c.json);
  });

  test("HEAD is read-only and allowed: 200 and no body", async () => {
    const got = await exchange(env.sb.ports.api, `HEAD /health HTTP/1.1\r\nHost: 127.0.0.1:${env.sb.ports.api}\r\nConnection: close\r\n\r\n`);
    expect([statusLine(got.bytes), bodyOf(got.bytes), got.closed]).toEqual([OK, "", true]);
  });

  test.each([
    ["a lower-case method", "get /health HTTP/1.1", ""],
    ["a method of 1,000 letters", `${"X".repeat(1000)} /health HTTP/1.1`, ""],
    ["a NUL in the method", "GET\0 /health HTTP/1.1", "HTTP/1.1 505 HTTP Version Not Supported"],
    ["HTTP/2.0 in the request line", "GET /health HTTP/2.0", "HTTP/1.1 505 HTTP Version Not Supported"],
  ])("%s: refused by the HTTP parser, nothing reaches the app", async (_name, line, status) => {
    const got = await exchange(env.sb.ports.api, Buffer.from(`${line}\r\nHost: 127.0.0.1:${env.sb.ports.api}\r\nConnection: close\r\n\r\n`, "latin1"));
    expect([statusLine(got.bytes), got.closed]).toEqual([status, true]);
  });

  test.each([
    ["a TLS record instead of HTTP", "\x16\x03\x01\x00\xa5garbage\r\n\r\n", "HTTP/1.1 400 Bad Request"],
    ["Content-Length and Transfer-Encoding together", "GET /health HTTP/1.1\r\nHost: H\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: close\r\n\r\n0\r\n\r\n", "HTTP/1.1 400 Bad Request"],
    ["a negative Content-Length", "GET /health HTTP/1.1\r\nHost: H\r\nContent-Length: -1\r\nConnection: close\r\n\r\n", "HTTP/1.1 400 Bad Request"],
    ["a NUL in a header value", "GET /health HTTP/1.1\r\nHost: H\r\nX-A: a\0b\r\nConnection: close\r\n\r\n", "HTTP/1.1 400 Bad Request"],
    ["a header of 70 KB", `GET /health HTTP/1.1\r\nHost: H\r\nX-Big: ${"a".repeat(70_000)}\r\nConnection: close\r\n\r\n`, "HTTP/1.1 431 Request Header Fields Too Large"],
    ["5,000 headers", `GET /health HTTP/1.1\r\nHost: H\r\n${"a: b\r\n".repeat(5000)}Connection: close\r\n\r\n`, "HTTP/1.1 431 Request Header Fields Too Large"],
  ])("%s", async (_name, raw, status) => {
    const got = await exchange(env.sb.ports.api, Buffer.from(raw.replace("Host: H", `Host: 127.0.0.1:${env.sb.ports.api}`), "latin1"));
    expect([statusLine(got.bytes), got.closed]).toEqual([status, true]);
  });

  test("200 hostile requests at once: each its answer", async () => {
    const some = CASES.filter((c) => !c.path.includes("a".repeat(1000)));
    const batch = Array.from({ length: 200 }, (_, i) => some[i % some.length]!);
    const got = await Promise.all(batch.map((c) => exchange(env.sb.ports.api, Buffer.from(requestOf(c), "latin1"))));
    expect(got.map((o) => statusLine(o.bytes))).toEqual(batch.map((c) => c.status));
  });

  test("no answer above came from a failing handler", () => {
    expect(env.logEvents().filter((e) => e.event === "api.error")).toEqual([]);
  });
});

describe("after the corpus", () => {
  test("the API still answers: /health, /v1/stats, /v1/requests", async () => {
    const get = (path: string) => exchange(env.sb.ports.api, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${env.sb.ports.api}\r\nConnection: close\r\n\r\n`);
    const [health, stats, requests] = await Promise.all([get("/health"), get("/v1/stats?since=7d"), get("/v1/requests?limit=5")]);
    expect(JSON.parse(bodyOf(health.bytes))).toMatchObject({ status: "ok", pid: env.daemon.pid });
    expect(JSON.parse(bodyOf(stats.bytes)).summary.requests).toBe(0);
    expect(JSON.parse(bodyOf(requests.bytes))).toEqual({ rows: [], nextCursor: null });
  });

  test("no process died and resident memory stayed bounded", async () => {
    const v = await vitals(env);
    console.log(`daemon RSS ${mb(v.daemonRss)} (peak ${mb(v.daemonPeak)})`);
    expect([v.daemonAlive, v.edgeAlive, v.health]).toEqual([true, true, true]);
    expect(v.daemonPeak!).toBeLessThan(RSS_BOUND);
  });
});
