// What a provider said about an account's limits in one response: one observation per window.
// A leaf but for the provider id it names.

import type { ProviderId } from "../usage/types.ts";

export type LimitKind = "rate-limit" | "subscription";

export interface LimitObservation {
  provider: ProviderId;
  /**
   * A stable window name: "requests", "tokens", "input-tokens", "output-tokens" (API-key limits),
   * "5h", "7d", "7d_oi", "overage" (Anthropic subscription claims, as the header names them),
   * "unified" (Anthropic's overall subscription verdict), "primary"/"secondary" (Codex; another
   * metered limit is "<limit_id>/primary"), "credits", "retry-after". Unknown ones keep their own name.
   */
  window: string;
  kind: LimitKind;
  /** Fraction used, 0..1 as providers send it (Anthropic's overage may read a little over 1). */
  utilization: number | null;
  limit: number | null;
  remaining: number | null;
  /** Epoch ms. */
  resetsAt: number | null;
  /** Minutes, only when the provider says (Codex's window_minutes). */
  windowMinutes: number | null;
  /** As sent: Anthropic's "allowed" | "allowed_warning" | "rejected"; null when not said. */
  status: string | null;
  /** Anything else worth keeping, as sent (each value capped in length). */
  extra?: Record<string, string>;
}
