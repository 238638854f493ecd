// A host name as the proxy compares it: trimmed, lower-cased, without the trailing dot of a
// fully qualified name ("API.Anthropic.com." is "api.anthropic.com"). The one normaliser that
// the CONNECT target, the intercepted-host list, the adapters and the CA all build on.

export function canonicalHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, "");
}
