// Doctor's report for a person: the verdict, then one row per check, and under each problem the
// next action. `--json` prints the same findings for machines.

import { wrapWords } from "../report/table.ts";
import type { RepairOutcome } from "./repairs.ts";
import type { DoctorReport } from "./run.ts";
import type { CheckStatus, Repair } from "./types.ts";

const MARK: Record<CheckStatus, string> = { ok: "ok", warn: "WARN", fail: "FAIL", skip: "-" };

export function renderReport(report: DoctorReport, width: number): string[] {
  const fails = report.findings.filter((f) => f.status === "fail").length;
  const warns = report.findings.filter((f) => f.status === "warn").length;
  const counts = [fails && `${fails} failing`, warns && `${warns} inconsistent`].filter(Boolean).join(", ");
  const lines = [`Halton Meter doctor: ${report.verdict}${counts ? ` (${counts})` : ""}`, ""];
  const nameWidth = Math.max(...report.findings.map((f) => f.name.length));
  for (const f of report.findings) {
    const lead = `${MARK[f.status].padEnd(4)}  ${f.name.padEnd(nameWidth)}  `;
    lines.push(...wrapWords(lead, f.detail, width));
    if (f.hint && (f.status === "warn" || f.status === "fail")) {
      const [first = "", ...verbatim] = f.hint.split("\n");
      const indent = " ".repeat(lead.length);
      lines.push(...wrapWords(`${indent}→ `, first, width), ...verbatim.map((l) => `${indent}    ${l}`));
    }
  }
  return lines;
}

export function renderPlan(repairs: readonly Repair[], width: number): string[] {
  if (repairs.length === 0) return ["", "No safe repair to make: the hints above say what to do."];
  return ["", "Repairs doctor can make (run `halton-meter doctor --fix --apply`):", ...repairs.flatMap((r) => wrapWords(`  ${r.id}: `, r.does, width))];
}

export function renderOutcomes(outcomes: readonly RepairOutcome[], width: number): string[] {
  if (outcomes.length === 0) return ["", "Nothing to repair."];
  return ["", "Repairs:", ...outcomes.flatMap((o) => wrapWords(`  ${o.ok ? "done" : "FAILED"}  ${o.id}: `, o.said, width))];
}
