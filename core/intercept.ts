// Which hosts the daemon decrypts and meters. Everything else is tunnelled untouched.

import { PROVIDER_HOSTS } from "./providers/hosts.ts";

export { PROVIDER_HOSTS } from "./providers/hosts.ts";

export function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, "");
}

export function interceptedHosts(extraHosts: readonly string[] = []): Set<string> {
  return new Set([...PROVIDER_HOSTS, ...extraHosts.map(normaliseHost)]);
}
