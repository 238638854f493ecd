// Which hosts the daemon decrypts and meters. Everything else is tunnelled untouched.

export const PROVIDER_HOSTS: readonly string[] = [
  "api.anthropic.com",
  "api.openai.com",
  "chatgpt.com",
  "generativelanguage.googleapis.com",
  "cloudcode-pa.googleapis.com",
  "api.x.ai",
];

export function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, "");
}

export function interceptedHosts(extraHosts: readonly string[] = []): Set<string> {
  return new Set([...PROVIDER_HOSTS, ...extraHosts.map(normaliseHost)]);
}
