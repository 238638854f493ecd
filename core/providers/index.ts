// Provider adapters: pure functions of an exchange's bytes. The MITM core asks `adapterFor(host)`
// whether a host is a provider and `createObserver(head)` for the observer of one exchange.

import type { ExchangeHead } from "../http/types.ts";
import type { ExchangeObserver } from "../usage/types.ts";
import { normalizeHost } from "./_headers.ts";
import { createEndpointObserver, type ObserverOptions } from "./_observer.ts";
import { anyError, type Endpoint, type ProviderAdapter } from "./_usage.ts";
import { anthropicAdapter } from "./anthropic.ts";
import { chatgptAdapter } from "./chatgpt.ts";
import { cloudcodeAdapter } from "./cloudcode.ts";
import { googleAdapter } from "./google.ts";
import { openaiAdapter } from "./openai.ts";
import { xaiAdapter } from "./xai.ts";

export type { Endpoint, ProviderAdapter } from "./_usage.ts";
export type { ObserverOptions } from "./_observer.ts";

export const ADAPTERS: readonly ProviderAdapter[] = [
  anthropicAdapter,
  openaiAdapter,
  chatgptAdapter,
  googleAdapter,
  cloudcodeAdapter,
  xaiAdapter,
];

const BY_HOST = new Map(ADAPTERS.flatMap((adapter) => adapter.hosts.map((host) => [host, adapter] as const)));

/** The adapter for a provider host (case-insensitive, ":443" ignored), or null. */
export function adapterFor(host: string): ProviderAdapter | null {
  return BY_HOST.get(normalizeHost(host)) ?? null;
}

/** The endpoint for an exchange on a provider host; unknown paths are "other": observed, not metered. */
export function endpointFor(adapter: ProviderAdapter, method: string, target: string): Endpoint {
  return adapter.match(method, target) ?? { provider: adapter.provider, name: "other", metered: false, requestSpec: { model: true }, errorOf: anyError };
}

/**
 * Whether a WebSocket opened on this target carries the Responses API (Codex's default transport:
 * the same path as the POST): each response on it is metered as that POST would be.
 */
export function speaksResponsesOverWebSocket(host: string, target: string): boolean {
  const adapter = adapterFor(host);
  return adapter !== null && adapter.match("POST", target)?.name === "responses";
}

/** The observer of one exchange, or null when the host is not a provider. */
export function createObserver(head: ExchangeHead, options?: ObserverOptions): ExchangeObserver | null {
  const adapter = adapterFor(head.host);
  if (adapter === null) return null;
  return createEndpointObserver(head, endpointFor(adapter, head.method, head.target), options);
}
