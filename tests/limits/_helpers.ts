import type { RawHeaders } from "../../core/http/types.ts";
import type { LimitObservation } from "../../core/limits/types.ts";

/** Header pairs from an object, in its key order (as a capture lists them). */
export const pairs = (o: Record<string, string>): RawHeaders => Object.entries(o);

/** Observations by window name; a repeated window fails the test that relies on it. */
export function byWindow(obs: LimitObservation[]): Record<string, LimitObservation> {
  const out: Record<string, LimitObservation> = {};
  for (const o of obs) {
    if (o.window in out) throw new Error(`window ${o.window} observed twice`);
    out[o.window] = o;
  }
  return out;
}
