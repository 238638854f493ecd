// genai-prices data files as the project publishes them (data.json: a list of providers), made
// from the bundled data plus whatever a test changes, and a model the bundled data lacks.

import { writeFileSync } from "node:fs";
import { findProvider, type Provider } from "@pydantic/genai-prices";

/** Not in the bundled data; the "newer" data files below price it. */
export const NEW_MODEL = "gpt-99-ultra";
export const NEW_MODEL_PRICES = { input_mtok: 20, output_mtok: 80, cache_read_mtok: 2, cache_write_mtok: 25 };

/** Our four providers and one we do not price, deep-copied as JSON would carry them. */
export function upstreamProviders(): Provider[] {
  return JSON.parse(JSON.stringify(["anthropic", "openai", "google", "x-ai", "mistral"].map((providerId) => findProvider({ providerId }))));
}

/** The bundled providers with NEW_MODEL added to openai (at `prices`), then `change` applied. */
export function newerData(change: (providers: Provider[]) => void = () => {}, prices: Record<string, number> = NEW_MODEL_PRICES): Provider[] {
  const providers = upstreamProviders();
  providers.find((p) => p.id === "openai")!.models.push({ id: NEW_MODEL, match: { starts_with: NEW_MODEL }, prices });
  change(providers);
  return providers;
}

export function writeData(path: string, data: unknown): string {
  writeFileSync(path, typeof data === "string" ? data : JSON.stringify(data));
  return path;
}
