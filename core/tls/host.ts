import { canonicalHost } from "../http/host.ts";
import { TlsError } from "./errors.ts";

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Lowercase, drop a trailing dot; a DNS name of LDH labels or a typed error (IP literals included). */
export function normaliseHost(host: string): string {
  const h = canonicalHost(host);
  const labels = h.split(".");
  const ok = h.length > 0 && h.length <= 253 && labels.every((l) => LABEL.test(l)) && !/^[0-9]+$/.test(labels.at(-1)!);
  if (!ok) {
    throw new TlsError("invalid-host", `"${host}" is not a DNS host name a certificate can be issued for`, "IP addresses and malformed names are tunnelled, never intercepted");
  }
  return h;
}

/** Exact or subdomain match: "anthropic.com" permits "anthropic.com" and "api.anthropic.com", not "evilanthropic.com". */
export const isPermittedHost = (host: string, domains: readonly string[]): boolean =>
  domains.some((d) => host === d || host.endsWith(`.${d}`));
