// From what the store says (facts.ts) and what Claude Code sent (input.ts) to what the line shows:
// which session figure, each window's pace, the burn rate. Pure: the time comes in as `nowMs`.

import { paceOf, type WindowPace } from "../limits/pace.ts";
import { type SessionCost, STATUS_WINDOWS, type StatusFacts, type StatusWindow } from "./facts.ts";
import type { StatuslineInput } from "./input.ts";

export type SessionFigure =
  | { kind: "metered"; cost: SessionCost }
  /** The meter has no row for the session yet: Claude Code's own estimate, shown as such. */
  | { kind: "estimate"; usd: number };

export interface LineModel {
  /** Budget crossings and the like, first on the line and the last to be dropped. */
  notices: string[];
  /** Null when there is no session to speak of (no session id came in, or an old store). */
  session: SessionFigure | null;
  todayMicros: number;
  windows: Array<{ name: StatusWindow; pace: WindowPace }>;
  /** Micro-dollars per hour over the lookback; null when nothing was spent in it. */
  burnMicrosPerHour: number | null;
}

const HOUR = 3_600_000;

function sessionFigure(facts: StatusFacts, input: StatuslineInput): SessionFigure | null {
  if (facts.session === null) return null;
  if (facts.session.requests > 0) return { kind: "metered", cost: facts.session };
  // Claude Code's number is a client-side estimate at list prices; a zero says nothing either way.
  if (input.claudeCostUsd !== null && input.claudeCostUsd > 0) return { kind: "estimate", usd: input.claudeCostUsd };
  return { kind: "metered", cost: facts.session };
}

export function lineModel(facts: StatusFacts, input: StatuslineInput, o: { nowMs: number; lookbackMs: number; notices?: readonly string[] }): LineModel {
  const windows: LineModel["windows"] = [];
  for (const name of STATUS_WINDOWS) {
    const samples = facts.windows[name];
    const pace = samples ? paceOf(samples, o.nowMs, { lookbackMs: o.lookbackMs }) : null;
    if (pace && (pace.resetSinceSeen || pace.utilization !== null)) windows.push({ name, pace });
  }
  return {
    notices: [...(o.notices ?? [])],
    session: sessionFigure(facts, input),
    todayMicros: facts.todayMicros,
    windows,
    burnMicrosPerHour: facts.lookbackMicros > 0 ? Math.round((facts.lookbackMicros * HOUR) / o.lookbackMs) : null,
  };
}
