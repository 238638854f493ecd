// The fake provider's answers from the recorded fixtures (tests/providers/fixtures): each request
// names its fixture in an `x-fixture` header and gets that file with the provider's status and
// headers, JSON with a Content-Length, SSE chunked one event per write as providers stream it.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FakeConn, FakeRequest, Script } from "../harness/fake-provider.ts";
import { CASES, type FixtureCase } from "../providers/fixtures/cases.ts";

const FIXTURES = join(import.meta.dir, "..", "providers", "fixtures");

const REASONS: Record<number, string> = { 200: "OK", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable", 529: "Overloaded" };

export function fixtureCase(file: string, name?: string): FixtureCase {
  const c = CASES.find((x) => x.file === file && (name === undefined || x.name === name));
  if (!c) throw new Error(`no fixture case for ${file}`);
  return c;
}

function header(req: FakeRequest, name: string): string | undefined {
  return req.headers.find(([k]) => k.toLowerCase() === name)?.[1];
}

/** Writes one recorded response, exactly as the provider would frame it. */
export function writeFixture(conn: FakeConn, c: FixtureCase): void {
  const body = readFileSync(join(FIXTURES, c.file));
  const status = `HTTP/1.1 ${c.status} ${REASONS[c.status] ?? "Status"}\r\n`;
  const headers = c.responseHeaders.map(([k, v]) => `${k}: ${v}\r\n`).join("");
  const sse = c.responseHeaders.some(([k, v]) => k.toLowerCase() === "content-type" && v.startsWith("text/event-stream"));
  if (!sse) {
    conn.write(Buffer.concat([Buffer.from(`${status}${headers}Content-Length: ${body.length}\r\n\r\n`, "latin1"), body]));
    return;
  }
  conn.write(`${status}${headers}Transfer-Encoding: chunked\r\n\r\n`);
  const text = body.toString("utf8");
  for (const event of text.split(/(?<=\n\n)/)) {
    const bytes = Buffer.from(event, "utf8");
    conn.write(Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`, "latin1"), bytes, Buffer.from("\r\n", "latin1")]));
  }
  conn.write("0\r\n\r\n");
}

/** Answers each request with the fixture its `x-fixture` header names (and `x-case`, when a file has several). */
export const serveFixtures: Script = (req, conn) => {
  const file = header(req, "x-fixture");
  if (!file) {
    const body = '{"type":"error","error":{"type":"not_found_error","message":"the fake provider needs an x-fixture header"}}';
    conn.write(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    return;
  }
  writeFixture(conn, fixtureCase(file, header(req, "x-case")));
};
