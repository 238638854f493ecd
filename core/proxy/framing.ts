// Where an HTTP/1.1 message body ends. Pure and incremental: fed raw bytes, it says how many
// belong to the body, hands out the decoded payload (for observers) and never rewrites bytes.

import type { RawHeaders } from "../http/types.ts";
import { headerTokens, headerValues } from "../http/headers.ts";

export type Framing = { kind: "none" } | { kind: "length"; length: number } | { kind: "chunked" } | { kind: "close" };

type FramingResult = { ok: true; framing: Framing } | { ok: false; reason: string };

function contentLength(headers: RawHeaders): number | null | "invalid" {
  const values = headerValues(headers, "content-length").flatMap((v) => v.split(",").map((s) => s.trim()));
  if (values.length === 0) return null;
  if (!values.every((v) => /^\d{1,15}$/.test(v) && v === values[0])) return "invalid";
  return Number(values[0]);
}

function transfer(headers: RawHeaders): "chunked" | "other" | null {
  const codings = headerTokens(headers, "transfer-encoding");
  if (codings.length === 0) return null;
  return codings[codings.length - 1] === "chunked" ? "chunked" : "other";
}

export function requestFraming(headers: RawHeaders): FramingResult {
  const te = transfer(headers);
  // Two framings for one body is how requests are smuggled past a proxy (RFC 9112 6.3): we
  // forward bytes untouched, so we cannot drop Content-Length; refuse instead.
  if (te !== null && headerValues(headers, "content-length").length > 0) return { ok: false, reason: "a request may not carry both Transfer-Encoding and Content-Length" };
  if (te === "chunked") return { ok: true, framing: { kind: "chunked" } };
  if (te === "other") return { ok: false, reason: "request Transfer-Encoding must end in chunked" };
  const cl = contentLength(headers);
  if (cl === "invalid") return { ok: false, reason: "invalid Content-Length" };
  return { ok: true, framing: cl === null || cl === 0 ? { kind: "none" } : { kind: "length", length: cl } };
}

export function responseFraming(requestMethod: string, status: number, headers: RawHeaders): FramingResult {
  if (requestMethod === "HEAD" || (status >= 100 && status < 200) || status === 204 || status === 304) return { ok: true, framing: { kind: "none" } };
  const te = transfer(headers);
  if (te === "chunked") return { ok: true, framing: { kind: "chunked" } };
  if (te === "other") return { ok: true, framing: { kind: "close" } };
  const cl = contentLength(headers);
  if (cl === "invalid") return { ok: false, reason: "upstream sent an invalid Content-Length" };
  if (cl === null) return { ok: true, framing: { kind: "close" } };
  return { ok: true, framing: cl === 0 ? { kind: "none" } : { kind: "length", length: cl } };
}

export type FeedResult =
  | { kind: "ok"; consumed: number; payload: Uint8Array[]; done: boolean }
  | { kind: "invalid"; reason: string };

const MAX_CHUNK_LINE = 4096;

/** Tracks one message body. `feed` may be given more than the body: `consumed` says where it ends. */
export class BodyTracker {
  private remaining = 0;
  private state: "size" | "data" | "data-crlf" | "trailer" | "done" = "size";
  private line = "";

  constructor(readonly framing: Framing) {
    if (framing.kind === "none") this.state = "done";
    if (framing.kind === "length") this.remaining = framing.length;
  }

  get done(): boolean {
    return this.state === "done";
  }

  feed(buf: Uint8Array): FeedResult {
    const payload: Uint8Array[] = [];
    const f = this.framing;
    if (this.state === "done") return { kind: "ok", consumed: 0, payload, done: true };
    if (f.kind === "close") {
      if (buf.length) payload.push(buf);
      return { kind: "ok", consumed: buf.length, payload, done: false };
    }
    if (f.kind === "length") {
      const n = Math.min(this.remaining, buf.length);
      if (n) payload.push(buf.subarray(0, n));
      this.remaining -= n;
      if (this.remaining === 0) this.state = "done";
      return { kind: "ok", consumed: n, payload, done: this.state === "done" };
    }
    return this.feedChunked(buf, payload);
  }

  private feedChunked(buf: Uint8Array, payload: Uint8Array[]): FeedResult {
    let i = 0;
    while (i < buf.length && this.state !== "done") {
      if (this.state === "data") {
        const n = Math.min(this.remaining, buf.length - i);
        payload.push(buf.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = "data-crlf";
        continue;
      }
      const b = buf[i++]!;
      if (b !== 10) {
        if (b !== 13) this.line += String.fromCharCode(b);
        if (this.line.length > MAX_CHUNK_LINE) return { kind: "invalid", reason: "chunk line too long" };
        continue;
      }
      const line = this.line;
      this.line = "";
      if (this.state === "data-crlf") {
        if (line !== "") return { kind: "invalid", reason: "missing CRLF after chunk data" };
        this.state = "size";
      } else if (this.state === "size") {
        const m = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
        if (!m) return { kind: "invalid", reason: `invalid chunk size ${JSON.stringify(line.slice(0, 20))}` };
        this.remaining = Number.parseInt(m[1]!, 16);
        this.state = this.remaining === 0 ? "trailer" : "data";
      } else if (this.state === "trailer") {
        if (line === "") this.state = "done";
      }
    }
    return { kind: "ok", consumed: i, payload, done: this.state === "done" };
  }
}

/** Does this message let the connection carry another after it? */
export function keepsAlive(version: string, headers: RawHeaders): boolean {
  const conn = headerTokens(headers, "connection");
  if (conn.includes("close")) return false;
  return version === "HTTP/1.1" || conn.includes("keep-alive");
}
