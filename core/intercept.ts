// Which hosts the daemon decrypts and meters. Everything else is tunnelled untouched.

import { canonicalHost } from "./http/host.ts";
import { PROVIDER_HOSTS } from "./providers/hosts.ts";

export { PROVIDER_HOSTS } from "./providers/hosts.ts";

export function interceptedHosts(extraHosts: readonly string[] = []): Set<string> {
  return new Set([...PROVIDER_HOSTS, ...extraHosts.map(canonicalHost)]);
}
