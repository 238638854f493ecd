// Where `pricing update` reads genai-prices data from: a file, or an http(s) URL (by default the
// data.json the genai-prices project publishes). Only ever on the user's request, never at run
// time. A failure is a value with a message and a hint a person can act on.

import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { REMOTE_DATA_JSON_URL } from "@pydantic/genai-prices";

/** What the bundled genai-prices fetches when told to update: its project's published data. */
export const DEFAULT_PRICE_SOURCE = REMOTE_DATA_JSON_URL;

export type SourceRead = { ok: true; text: string } | { ok: false; message: string; hint: string };

export interface SourceOptions {
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** For the whole download. Default 30 s. */
  timeoutMs?: number;
  /** Larger is refused: the published file is well under 1 MiB. Default 32 MiB. */
  maxBytes?: number;
}

const MIB = 1024 * 1024;
/** Bun's error codes for the usual network failures, in words. */
const NET_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ConnectionRefused: "connection refused",
  ENOTFOUND: "host not found",
  ECONNRESET: "connection reset",
  CERT_HAS_EXPIRED: "its TLS certificate has expired",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "its TLS certificate is not trusted",
};

const FILE_HINT = "download the file yourself and run `halton-meter pricing update --from FILE`";

function tooLarge(what: string, max: number): SourceRead {
  return { ok: false, message: `${what} is larger than ${max / MIB} MiB: not genai-prices data`, hint: "give the data.json file the genai-prices project publishes" };
}

function readFile(path: string, max: number): SourceRead {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (err as Error).message;
    return { ok: false, message: `cannot read ${path}: ${why}`, hint: "give the path of a genai-prices data.json file, or an http(s) URL" };
  }
  try {
    // A FIFO or a device would block the read or never end: only a regular file is price data.
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, message: `${path} is not a regular file`, hint: "give the path of a genai-prices data.json file" };
    if (st.size > max) return tooLarge(path, max);
    return { ok: true, text: readFileSync(fd, "utf8") };
  } finally {
    closeSync(fd);
  }
}

async function readUrl(url: string, opts: SourceOptions): Promise<SourceRead> {
  const max = opts.maxBytes ?? 32 * MIB;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const get = opts.fetch ?? ((u: string, init: RequestInit) => fetch(u, init));
  try {
    const res = await get(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
    if (!res.ok) return { ok: false, message: `${url} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`, hint: `check the address; or ${FILE_HINT}` };
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body ?? []) {
      size += chunk.length;
      if (size > max) return tooLarge(url, max);
      chunks.push(chunk);
    }
    return { ok: true, text: new TextDecoder().decode(Buffer.concat(chunks)) };
  } catch (err) {
    const e = err as Error & { code?: string };
    const why = e.name === "TimeoutError" ? `no complete answer within ${timeoutMs / 1000} s` : ((e.code && NET_ERRORS[e.code]) ?? e.code ?? e.message);
    return { ok: false, message: `cannot download ${url}: ${why}`, hint: `check the address and the network (a proxy in HTTPS_PROXY is used); or ${FILE_HINT}` };
  }
}

/** `from`: an http:// or https:// URL, or a file path. */
export async function readPriceSource(from: string, opts: SourceOptions = {}): Promise<SourceRead> {
  if (/^https?:\/\//i.test(from)) return readUrl(from, opts);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(from)) return { ok: false, message: `${from}: only http:// and https:// URLs can be downloaded`, hint: "give an http(s) URL, or the path of a file" };
  return readFile(from, opts.maxBytes ?? 32 * MIB);
}
