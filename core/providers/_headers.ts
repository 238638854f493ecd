// Header, host and path helpers shared by the adapters (reading a field: core/http/headers.ts).

import type { RawHeaders } from "../http/types.ts";
import { headerValue } from "../http/headers.ts";
import { canonicalHost } from "../http/host.ts";
import type { Endpoint, ProviderAdapter } from "./_usage.ts";

/** The media type without parameters, lower-cased: "text/event-stream". Empty when absent. */
export function mediaType(headers: RawHeaders): string {
  const value = headerValue(headers, "content-type") ?? "";
  return (value.split(";")[0] ?? "").trim().toLowerCase();
}

/** Content codings in the order they were applied; "identity" dropped. */
export function contentCodings(headers: RawHeaders): string[] {
  const value = headerValue(headers, "content-encoding") ?? "";
  return value
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity");
}

/** "API.Anthropic.com:443" -> "api.anthropic.com"; any other port is kept (and so matches nothing). */
export function normalizeHost(host: string): string {
  const h = canonicalHost(host);
  return canonicalHost(h.endsWith(":443") ? h.slice(0, -4) : h);
}

/** The path of an origin-form (or absolute-form) request target, without the query string. */
export function targetPath(target: string): string {
  let path = target;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(path);
  if (scheme) path = path.slice(scheme[0].length) || "/";
  const cut = path.search(/[?#]/);
  return cut === -1 ? path : path.slice(0, cut);
}

/** `match` for a provider whose metered calls are all POSTs to fixed paths (the query ignored). */
export function matchPostPaths(routes: Readonly<Record<string, () => Endpoint>>): ProviderAdapter["match"] {
  const byPath = new Map(Object.entries(routes));
  return function matchPostPath(method: string, target: string): Endpoint | null {
    if (method.toUpperCase() !== "POST") return null;
    return byPath.get(targetPath(target))?.() ?? null;
  };
}

export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
