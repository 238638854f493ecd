// The provider hosts the daemon decrypts and meters, once. A leaf (imports nothing): the edge
// reads it without pulling in the adapters, the adapters name their hosts from it, and
// tests/providers/routing.test.ts checks that every host here has an adapter and no adapter
// has a host not here.

export const PROVIDER_HOST = {
  anthropic: "api.anthropic.com",
  openai: "api.openai.com",
  chatgpt: "chatgpt.com",
  gemini: "generativelanguage.googleapis.com",
  cloudcode: "cloudcode-pa.googleapis.com",
  xai: "api.x.ai",
} as const;

export const PROVIDER_HOSTS: readonly string[] = Object.values(PROVIDER_HOST);
