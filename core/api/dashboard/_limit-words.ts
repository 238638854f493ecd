// How the dashboard words a limit window: the same words `halton-meter limits` prints (its
// percentages come from core/limits/text.ts), cut to fit a gauge. Pure: `now` comes in.

import { usedPercent } from "../../limits/words.ts";
import { PROVIDER_NAMES, windowName } from "../../limits/words.ts";

export { windowName } from "../../limits/words.ts";
import { thousands } from "../../report/format.ts";
import { localTime, relative } from "../../time/relative.ts";
import type { LimitsAccountJson, LimitWindowJson } from "../types.ts";

export type Level = "ok" | "warn" | "bad";


const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** "Anthropic · account 3f9a1c2e · claude-code in alpha". */
export function accountHeading(a: LimitsAccountJson): string {
  const who = a.account === "" ? "account unknown" : `account ${a.account.slice(0, 8)}`;
  const use = [a.lastClient, a.lastProject && `in ${a.lastProject}`].filter(Boolean).join(" ");
  return [PROVIDER_NAMES[a.provider] ?? a.provider, who, use].filter(Boolean).join(" · ");
}


/** The gauge's big number: "42%", a credit balance, or nothing (a verdict alone says it in its pill). */
export function usedText(w: LimitWindowJson): string {
  if (w.utilization !== null) return usedPercent(w.utilization);
  if (w.window === "credits") return w.extra.unlimited === "true" ? "unlimited" : w.extra.balance ? `balance ${w.extra.balance}` : "";
  return "";
}

export function statusText(w: LimitWindowJson): string {
  if (w.resetSinceSeen) return "reset since seen";
  const binding = w.extra["representative-claim"];
  return [w.status?.replaceAll("_", " "), binding && `binding: ${binding.replaceAll("_", " ")}`].filter(Boolean).join(" · ");
}

/** Rejected or full is bad; a warning from the provider or 80% used is a warning. */
export function levelOf(w: LimitWindowJson): Level {
  const u = w.utilization;
  if (w.status === "rejected" || (u !== null && u >= 1)) return "bad";
  if (w.status === "allowed_warning" || (u !== null && u >= 0.8)) return "warn";
  if (w.kind === "rate-limit" && w.limit !== null && w.remaining !== null && w.limit > 0) {
    if (w.remaining <= 0) return "bad";
    if (w.remaining / w.limit <= 0.2) return "warn";
  }
  return "ok";
}

/** "resets 16:40 · in 2h 14m" ("resets in 12s" when `short`); empty when no reset is known. */
export function resetText(resetsAt: number | null, now: number, short = false): string {
  if (resetsAt === null) return "";
  if (resetsAt <= now) return `reset ${relative(resetsAt, now)}`;
  return short ? `resets ${relative(resetsAt, now)}` : `resets ${localTime(resetsAt, now)} · ${relative(resetsAt, now)}`;
}

/** "+9%/h · full 18:52, before the reset", "+2.5%/h · resets first"; empty without a pace. */
export function paceText(w: LimitWindowJson, now: number): string {
  if (w.utilization !== null && w.utilization >= 1) return "full now";
  if (w.burnPerHour === null) return "";
  const pct = w.burnPerHour * 100;
  const rate = `+${(pct < 10 ? pct.toFixed(1) : pct.toFixed(0)).replace(/\.0$/, "")}%/h`;
  const fullAt = ms(w.fullAt);
  if (fullAt === null) return `${rate} · not filling`;
  if (w.fullBeforeReset === false) return `${rate} · resets first`;
  return `${rate} · full ${localTime(fullAt, now)}${w.fullBeforeReset === true ? ", before the reset" : ""}`;
}

/** A rate limit in one line, without its reset: "tokens 27,000 of 30,000 left". */
export function rateText(w: LimitWindowJson): string {
  const parts = [windowName(w)];
  if (w.remaining !== null && w.limit !== null) parts.push(`${thousands(w.remaining)} of ${thousands(w.limit)} left`);
  else if (w.utilization !== null) parts.push(`${usedPercent(w.utilization)} used`);
  if (w.status === "rejected") parts.push("rejected");
  return parts.join(" ");
}

export const resetMs = (w: LimitWindowJson): number | null => ms(w.resetsAt);
