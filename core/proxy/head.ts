// HTTP/1.1 message heads, parsed only as far as framing needs. Pure: bytes in, a verdict out.
// Header names and values keep their exact bytes (latin1), so nothing is ever re-serialised.

import type { RawHeaders } from "../http/types.ts";

export const MAX_HEAD_BYTES = 64 * 1024;

export interface RequestHead {
  method: string;
  target: string;
  version: string;
  headers: RawHeaders;
}

export interface ResponseHead {
  version: string;
  status: number;
  reason: string;
  headers: RawHeaders;
}

export type HeadResult<T> =
  | { kind: "incomplete" }
  | { kind: "invalid"; status: 400 | 431 | 502; reason: string }
  | { kind: "ok"; head: T; length: number };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const VERSION = /^HTTP\/1\.[01]$/;

/** Index just past the blank line ending the head, or -1. Accepts bare LF line ends, as servers do. */
export function findHeadEnd(buf: Uint8Array, from = 0): number {
  for (let i = Math.max(0, from); i < buf.length; i++) {
    if (buf[i] !== 10) continue;
    if (buf[i + 1] === 10) return i + 2;
    if (buf[i + 1] === 13 && buf[i + 2] === 10) return i + 3;
  }
  return -1;
}

function splitHead(buf: Uint8Array, max: number): { kind: "incomplete" } | { kind: "too-big" } | { lines: string[]; length: number } {
  // Leading blank lines before a request line are tolerated (RFC 9112 section 2.2).
  let start = 0;
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  const end = findHeadEnd(buf, start);
  if (end < 0) return buf.length > max ? { kind: "too-big" } : { kind: "incomplete" };
  if (end > max) return { kind: "too-big" };
  const text = Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1");
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === "") lines.pop();
  return { lines, length: end };
}

function parseHeaderLines(lines: string[]): RawHeaders | string {
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    if (line.startsWith(" ") || line.startsWith("\t")) return "obsolete header line folding";
    const colon = line.indexOf(":");
    if (colon <= 0) return `malformed header line ${JSON.stringify(line.slice(0, 40))}`;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return `invalid header name ${JSON.stringify(name.slice(0, 40))}`;
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (/[\0\r\n]/.test(value)) return `invalid characters in header ${name}`;
    headers.push([name, value]);
  }
  return headers;
}

export function parseRequestHead(buf: Uint8Array, max = MAX_HEAD_BYTES): HeadResult<RequestHead> {
  const split = splitHead(buf, max);
  if ("kind" in split) return split.kind === "too-big" ? { kind: "invalid", status: 431, reason: `request head larger than ${max} bytes` } : split;
  const [requestLine = "", ...rest] = split.lines;
  const parts = requestLine.split(" ");
  if (parts.length !== 3) return { kind: "invalid", status: 400, reason: "malformed request line" };
  const [method, target, version] = parts as [string, string, string];
  if (!TOKEN.test(method)) return { kind: "invalid", status: 400, reason: "invalid method" };
  if (!VERSION.test(version)) return { kind: "invalid", status: 400, reason: `unsupported protocol ${JSON.stringify(version.slice(0, 20))}` };
  if (target === "" || /[\s\0-\x1f\x7f]/.test(target)) return { kind: "invalid", status: 400, reason: "invalid request target" };
  const headers = parseHeaderLines(rest);
  if (typeof headers === "string") return { kind: "invalid", status: 400, reason: headers };
  return { kind: "ok", head: { method, target, version, headers }, length: split.length };
}

export function parseResponseHead(buf: Uint8Array, max = MAX_HEAD_BYTES): HeadResult<ResponseHead> {
  const split = splitHead(buf, max);
  if ("kind" in split) return split.kind === "too-big" ? { kind: "invalid", status: 502, reason: `response head larger than ${max} bytes` } : split;
  const [statusLine = "", ...rest] = split.lines;
  const m = /^(HTTP\/1\.[01]) (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) return { kind: "invalid", status: 502, reason: "malformed status line from upstream" };
  const headers = parseHeaderLines(rest);
  if (typeof headers === "string") return { kind: "invalid", status: 502, reason: `upstream sent ${headers}` };
  return { kind: "ok", head: { version: m[1]!, status: Number(m[2]), reason: m[3] ?? "", headers }, length: split.length };
}
