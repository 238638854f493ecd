// Anthropic's subscription windows (Claude Pro/Max through Claude Code's OAuth), as
// `anthropic-ratelimit-unified-*` response headers. Undocumented; this follows what Claude Code
// itself reads (@anthropic-ai/claude-code 2.1.197, the JS embedded in bin/claude.exe):
//   - per claim `anthropic-ratelimit-unified-<claim>-utilization` (a fraction, 0..1: its warning
//     thresholds are 0.25..0.9), `-reset` (Unix seconds), `-surpassed-threshold`, for the claims
//     "5h", "7d", "7d_oi" and "overage";
//   - overall `-status` ("allowed" | "allowed_warning" | "rejected", default "allowed"), `-reset`
//     (Unix seconds), `-representative-claim` ("five_hour", "seven_day", "seven_day_opus",
//     "seven_day_sonnet", "seven_day_overage_included", "overage"), `-fallback` ("available"),
//     `-upgrade-paths` (comma list);
//   - overage: `-overage-status`, `-overage-reset`, `-overage-disabled-reason`, `-overage-in-use`
//     ("true"), `-overage-period-monthly-utilization`, `-overage-period-channel-utilization`.
// Per-claim `-<claim>-status` and `-fallback-percentage` are not read by Claude Code but appear in
// public captures (e.g. "anthropic-ratelimit-unified-5h-status: allowed"); they are kept too.
//
// One rule reads it all: `<claim>-{utilization,reset,status,surpassed-threshold}` is a window
// named by its claim, so "overage-status" and "overage-reset" are the "overage" window's and
// "overage-period-monthly" is a window of its own; any other field is the "unified" verdict's.

import type { RawHeaders } from "../http/types.ts";
import { epochSecondsMs, namesWithPrefix, nonNegative, small, text } from "./_fields.ts";
import type { LimitObservation } from "./types.ts";

const PREFIX = "anthropic-ratelimit-unified-";
const WINDOW_FIELD = /^(.+)-(utilization|reset|status|surpassed-threshold)$/;

type Window = { utilization?: string; reset?: string; status?: string; "surpassed-threshold"?: string };

export function readAnthropicUnified(headers: RawHeaders): LimitObservation[] {
  const windows = new Map<string, Window>();
  const verdict: Record<string, string> = {};
  for (const name of namesWithPrefix(headers, PREFIX)) {
    const value = text(headers, name);
    const suffix = name.slice(PREFIX.length);
    if (value === null || suffix === "") continue;
    const m = WINDOW_FIELD.exec(suffix);
    if (!m) {
      verdict[suffix] = value;
      continue;
    }
    const fields = windows.get(m[1]!) ?? {};
    fields[m[2] as keyof Window] = value;
    windows.set(m[1]!, fields);
  }
  const out: LimitObservation[] = [];
  const { status, reset, ...rest } = verdict;
  if (Object.keys(verdict).length > 0) out.push(observation("unified", null, reset ?? null, status ?? null, rest));
  for (const [claim, w] of windows) {
    const threshold = w["surpassed-threshold"];
    out.push(observation(claim, w.utilization ?? null, w.reset ?? null, w.status ?? null, threshold === undefined ? {} : { "surpassed-threshold": threshold }));
  }
  return out;
}

function observation(window: string, utilization: string | null, reset: string | null, status: string | null, extra: Record<string, string>): LimitObservation {
  const kept = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, small(v)]));
  return {
    provider: "anthropic",
    window,
    kind: "subscription",
    utilization: nonNegative(utilization),
    limit: null,
    remaining: null,
    resetsAt: epochSecondsMs(reset),
    windowMinutes: null,
    status: status === null ? null : small(status),
    ...(Object.keys(kept).length > 0 ? { extra: kept } : {}),
  };
}
