// Reading header fields, for the proxy and the adapters alike. Names compare case-insensitively.
// A field sent on several lines reads as one value joined with ", " (RFC 9110 5.3), which is
// what list-valued fields mean; the proxy never re-serialises headers, so nothing is rewritten.

import type { RawHeaders } from "./types.ts";

/** Every line's value of a field, in order. */
export function headerValues(headers: RawHeaders, name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  // A name of another length cannot match (U+0130 aside, the one character whose lower case is
  // longer): most names are passed over without making a lower-cased copy of each.
  for (const [n, v] of headers) if (n === lower || ((n.length === lower.length || n.includes("\u0130")) && n.toLowerCase() === lower)) out.push(v);
  return out;
}

/** The field's value (its lines joined with ", "), or null when absent. */
export function headerValue(headers: RawHeaders, name: string): string | null {
  const values = headerValues(headers, name);
  return values.length ? values.join(", ") : null;
}

/** Comma-separated tokens of a field such as Connection or Transfer-Encoding, lowercased. */
export function headerTokens(headers: RawHeaders, name: string): string[] {
  return headerValues(headers, name)
    .flatMap((v) => v.split(","))
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}
