// `halton-meter limits` as text: a block per provider account, a row per window (used, status,
// reset in local and relative time, pace, and where that pace ends up).

import { thousands } from "../report/format.ts";
import { type Column, renderTable } from "../report/table.ts";
import type { LimitsAccount, LimitsReport } from "./report.ts";
import type { WindowView } from "./view.ts";
import { PROVIDER_NAMES, usedPercent, windowName } from "./words.ts";
import { localTime, relative } from "../time/relative.ts";

function used(w: WindowView): string {
  if (w.utilization !== null) return usedPercent(w.utilization);
  if (w.window === "credits") return w.extra.unlimited === "true" ? "unlimited" : w.extra.balance ? `balance ${w.extra.balance}` : "-";
  return "-";
}

function status(w: WindowView): string {
  if (w.resetSinceSeen) return "reset since seen";
  const binding = w.extra["representative-claim"];
  const parts = [w.status ?? "", binding ? `binding: ${binding.replaceAll("_", " ")}` : ""];
  if (w.remaining !== null && w.limit !== null) parts.push(`${thousands(w.remaining)} of ${thousands(w.limit)} left`);
  return parts.filter(Boolean).join(", ") || "-";
}

function resets(w: WindowView, now: number): string {
  return w.resetsAt === null ? "-" : `${localTime(w.resetsAt, now)} (${relative(w.resetsAt, now)})`;
}

function pace(w: WindowView): string {
  if (w.burnPerHour === null) return "-";
  const pct = w.burnPerHour * 100;
  return `${pct >= 0 ? "+" : ""}${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)}%/h`;
}

function outlook(w: WindowView, now: number): string {
  if (w.utilization !== null && w.utilization >= 1) return "full now";
  if (w.fullAt === null) return w.burnPerHour === null ? "-" : "not filling";
  const when = `100% ${localTime(w.fullAt, now)} (${relative(w.fullAt, now)})`;
  if (w.fullBeforeReset === true) return `${when}, before the reset`;
  if (w.fullBeforeReset === false) return "resets first";
  return when;
}

function header(a: LimitsAccount, now: number): string {
  const who = a.account === "" ? "account unknown (no credential seen)" : `account ${a.account.slice(0, 8)}`;
  const use = [a.lastClient, a.lastProject && `in ${a.lastProject}`].filter(Boolean).join(" ");
  return [PROVIDER_NAMES[a.provider] ?? a.provider, who, use, `seen ${relative(a.lastSeen, now)}`].filter(Boolean).join(" · ");
}

/** The budget alerts in effect, above everything else. */
function alertLines(report: LimitsReport): string[] {
  if (report.alerts.length === 0) return [];
  return [...report.alerts.map((a) => `${a.severity === "exceeded" ? "!!" : "! "} ${a.message}`), ""];
}

export function renderLimits(report: LimitsReport, width: number): string[] {
  return [...alertLines(report), ...renderWindows(report, width)];
}

function renderWindows(report: LimitsReport, width: number): string[] {
  const now = report.at;
  if (report.accounts.length === 0) {
    return [
      "No limits reported yet.",
      "Providers report them with each response: Anthropic (API keys and Claude subscriptions), OpenAI and Codex do; Google does not.",
    ];
  }
  const columns: Column<WindowView>[] = [
    { title: "window", cell: windowName },
    { title: "used", cell: used, align: "right" },
    { title: "status", cell: status, dropRank: 3, shrink: true },
    { title: "resets", cell: (w) => resets(w, now), dropRank: 1 },
    { title: `pace (${Math.round(report.lookbackMs / 60_000)}m)`, cell: pace, align: "right", dropRank: 2 },
    { title: "at this pace", cell: (w) => outlook(w, now), dropRank: 4 },
  ];
  const lines: string[] = [];
  for (const a of report.accounts) {
    if (lines.length) lines.push("");
    lines.push(header(a, now));
    lines.push(...renderTable(a.windows, columns, width - 2).map((l) => `  ${l}`));
  }
  return lines;
}
