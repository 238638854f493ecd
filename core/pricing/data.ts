// The genai-prices data that prices requests: the data bundled with the package, or a newer copy
// that `halton-meter pricing update` installed in the meter's folder. Either way only the
// providers the meter prices are kept, and every row priced says which data it was (`source`).

import { readFileSync } from "node:fs";
import { findProvider, type Provider } from "@pydantic/genai-prices";
import { checkProviders, type Checked } from "./_schema.ts";

/**
 * The package ships no snapshot date. DATA_DATE is the newest dated price change recorded in the
 * bundled data (claude-opus-latest alias, 2026-09-22), ignoring announced future changes such as
 * Gemini's 2027-01-01 rates. tests/pricing checks that the installed version is still VERSION:
 * bumping the package means revisiting this date.
 */
const VERSION = "0.1.8";
const DATA_DATE = "2026-09-22";

/** genai-prices' ids of the providers the meter prices (see LIBRARY_PROVIDER in library.ts). */
export const LIBRARY_PROVIDER_IDS = ["anthropic", "openai", "google", "x-ai"] as const;

export interface PriceData {
  origin: "bundled" | "installed";
  /** "0.1.8" (the package), or "sha256:" and the first 8 hex digits of the file installed. */
  version: string;
  /** YYYY-MM-DD: the bundled data's newest price change, or the day a file was installed. */
  dataDate: string;
  /** `genai-prices@<version>/<dataDate>`: what each row priced with this data stores as price_source. */
  source: string;
  /** Where installed data came from (a URL or a path); null for the bundled data. */
  from: string | null;
  /** By genai-prices provider id. */
  providers: ReadonlyMap<string, Provider>;
}

const sourceOf = (version: string, dataDate: string) => `genai-prices@${version}/${dataDate}`;

function ours(list: readonly (Provider | undefined)[]): Map<string, Provider> {
  const wanted = new Set<string>(LIBRARY_PROVIDER_IDS);
  return new Map(list.flatMap((p) => (p && wanted.has(p.id) ? [[p.id, p] as const] : [])));
}

export const BUNDLED: PriceData = {
  origin: "bundled",
  version: VERSION,
  dataDate: DATA_DATE,
  source: sourceOf(VERSION, DATA_DATE),
  from: null,
  providers: ours(LIBRARY_PROVIDER_IDS.map((providerId) => findProvider({ providerId }))),
};

/** The installed file: our providers from a genai-prices data file, and where and when it came from. */
const FORMAT = "halton-meter/genai-prices-data@1";

interface InstalledFile {
  format: typeof FORMAT;
  /** SHA-256 (hex) of the data file as downloaded or read: which upstream data this is. */
  sha256: string;
  from: string;
  installed_at: string;
  providers: Provider[];
}

/** The installed file's text for providers already checked (see update.ts). */
export function encodeInstalled(providers: readonly Provider[], meta: { sha256: string; from: string; installedAt: Date }): string {
  const file: InstalledFile = { format: FORMAT, sha256: meta.sha256, from: meta.from, installed_at: meta.installedAt.toISOString(), providers: [...ours(providers).values()] };
  return `${JSON.stringify(file)}\n`;
}

export function installedData(providers: readonly Provider[], meta: { sha256: string; from: string; installedAt: Date }): PriceData {
  const version = `sha256:${meta.sha256.slice(0, 8)}`;
  const dataDate = meta.installedAt.toISOString().slice(0, 10);
  // A provider the file lacks (a later build may price more of them) keeps its bundled entry.
  const providers_ = new Map([...BUNDLED.providers, ...ours(providers)]);
  return { origin: "installed", version, dataDate, source: sourceOf(version, dataDate), from: meta.from, providers: providers_ };
}

/** Reads the installed file back, checking everything again: a damaged file is refused, never half-used. */
export function decodeInstalled(text: string): Checked<PriceData> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `not JSON (${(err as Error).message})` };
  }
  const file = raw as Partial<InstalledFile> | null;
  if (typeof file !== "object" || file === null || file.format !== FORMAT) return { ok: false, message: `not a price data file written by \`halton-meter pricing update\` (no "format": "${FORMAT}")` };
  const installedAt = new Date(String(file.installed_at));
  if (typeof file.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(file.sha256) || typeof file.from !== "string" || Number.isNaN(installedAt.getTime())) {
    return { ok: false, message: "its sha256, from or installed_at is missing or malformed" };
  }
  const checked = checkProviders(file.providers);
  if (!checked.ok) return { ok: false, message: `providers${checked.message.replace(/^the file/, "")}` };
  return { ok: true, value: installedData(checked.value, { sha256: file.sha256, from: file.from, installedAt }) };
}

export interface PriceDataState {
  data: PriceData;
  /** Why the installed file is not the data in use; null when it is, or when there is none. */
  warning: string | null;
}

/**
 * The data a file installs, or the bundled data with the reason when it cannot: absent (no
 * warning), unreadable, damaged, or older than the bundled data (after an upgrade of halton-meter).
 */
export function inspectPriceData(file: string): PriceDataState {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    return unreadable(file, err);
  }
  return judgePriceData(file, text);
}

/** Why `file` could not be read, as the state it leaves: none at all is no warning. */
export function unreadable(file: string, err: unknown): PriceDataState {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return { data: BUNDLED, warning: null };
  return { data: BUNDLED, warning: `${file} cannot be read (${code ?? (err as Error).message}): pricing with the bundled ${BUNDLED.source} data` };
}

/** The data `text` (read from `file`) installs, or the bundled data with the reason. */
export function judgePriceData(file: string, text: string): PriceDataState {
  const decoded = decodeInstalled(text);
  if (!decoded.ok) {
    return { data: BUNDLED, warning: `${file} is damaged (${decoded.message}): pricing with the bundled ${BUNDLED.source} data; run \`halton-meter pricing update\` to install it again` };
  }
  if (decoded.value.dataDate < BUNDLED.dataDate) {
    return {
      data: BUNDLED,
      warning: `${file} was installed on ${decoded.value.dataDate}, before the bundled data of ${BUNDLED.dataDate}: pricing with the bundled data; run \`halton-meter pricing update\` for newer data, or delete the file`,
    };
  }
  return { data: decoded.value, warning: null };
}
