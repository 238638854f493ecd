// `pricing update`: a genai-prices data file (its data.json), checked as far as this build can
// check it, turned into the installed file's text. Writing it is the command's job (atomically).

import { createHash } from "node:crypto";
import { BUNDLED, encodeInstalled, installedData, LIBRARY_PROVIDER_IDS, type PriceData } from "./data.ts";
import { checkProviders } from "./_schema.ts";
import { firstUnpriceable } from "./library.ts";

export type Prepared =
  | {
      ok: true;
      /** The installed file's content. */
      text: string;
      data: PriceData;
      /** Models of our providers in it. */
      models: number;
    }
  | { ok: false; message: string };

const fail = (message: string): Prepared => ({ ok: false, message });

/** `raw` is the file as read; `from` says where it came from (stored, and shown by `pricing list`). */
export function preparePriceData(raw: string, meta: { from: string; now: Date }): Prepared {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return fail(`is not JSON (${(err as Error).message})`);
  }
  if (typeof parsed === "object" && parsed !== null && "providers" in parsed && "units" in parsed) {
    return fail(`is genai-prices data in the newer { providers, units } format, which this build's genai-prices ${BUNDLED.version} cannot read: upgrade halton-meter`);
  }
  const checked = checkProviders(parsed);
  if (!checked.ok) return fail(`is not genai-prices data: ${checked.message}`);
  const missing = LIBRARY_PROVIDER_IDS.filter((id) => !checked.value.some((p) => p.id === id));
  if (missing.length > 0) {
    return fail(`has no ${missing.map((id) => `"${id}"`).join(", ")} provider${missing.length > 1 ? "s" : ""}: the meter prices ${LIBRARY_PROVIDER_IDS.join(", ")} from it`);
  }
  const broken = firstUnpriceable(checked.value, meta.now);
  if (broken) return fail(`holds prices this build's genai-prices ${BUNDLED.version} cannot evaluate (${broken}): upgrade halton-meter`);
  const info = { sha256: createHash("sha256").update(raw).digest("hex"), from: meta.from, installedAt: meta.now };
  const data = installedData(checked.value, info);
  const models = checked.value.filter((p) => data.providers.get(p.id) === p).reduce((n, p) => n + p.models.length, 0);
  return { ok: true, text: encodeInstalled(checked.value, info), data, models };
}
