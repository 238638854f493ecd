// The status line itself: `◆ $0.42 session · $3.10 today · 5h 42% (resets in 2h 14m) · 7d 18% · $1.20/h`.
// One line, no trailing space. Too wide for `maxWidth`, it drops whole parts, least important
// first (burn, 7d, today, 5h, session; notices last), never cutting one in the middle. Widths are
// terminal columns (Bun.stringWidth: ANSI codes count zero, ◆ and · one each). Pure.

import type { WindowPace } from "../limits/pace.ts";
import { usedPercent } from "../limits/words.ts";
import { relative } from "../time/relative.ts";
import { costCell, usd } from "../report/format.ts";
import type { LineModel, SessionFigure } from "./model.ts";

export interface LineOptions {
  nowMs: number;
  color: boolean;
  /** Columns; null for no limit. */
  maxWidth: number | null;
}

type Style = "dim" | "cyan" | "green" | "yellow" | "red";
type Segment = readonly [text: string, style?: Style];

interface Part {
  /** Lower goes first when the line is too wide. */
  rank: number;
  segments: Segment[];
}

const SGR: Record<Style, readonly [string, string]> = {
  dim: ["\x1b[2m", "\x1b[22m"],
  cyan: ["\x1b[36m", "\x1b[39m"],
  green: ["\x1b[32m", "\x1b[39m"],
  yellow: ["\x1b[33m", "\x1b[39m"],
  red: ["\x1b[31m", "\x1b[39m"],
};

const HEAD = "◆";
const SEPARATOR = " · ";
const RANK = { burn: 1, "7d": 2, today: 3, "5h": 4, session: 5, notice: 6 } as const;

/** A notice or message must not break the one line: control characters become spaces. */
const oneLine = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();

/** Green, then yellow from 70% (or the provider's warning), red from 90% (or refused). */
function level(pace: WindowPace): Style {
  const u = pace.utilization ?? 0;
  if (pace.status === "rejected" || u >= 0.9) return "red";
  if (pace.status === "allowed_warning" || u >= 0.7) return "yellow";
  return "green";
}

function sessionPart(s: SessionFigure): Part {
  const figure: Segment[] =
    s.kind === "metered"
      ? [[costCell(s.cost.micros, s.cost.requests, s.cost.unpriced)], [" session", "dim"]]
      : [[`~${usd(s.usd * 1e6)}`], [" session (Claude's estimate)", "dim"]];
  return { rank: RANK.session, segments: figure };
}

const MINUTE = 60_000;
/** "in 2h 14m", "in 14m", "now": seconds would change on every refresh and say nothing. */
const toTheMinute = (at: number, nowMs: number) => relative(nowMs + Math.round((at - nowMs) / MINUTE) * MINUTE, nowMs);

function windowPart(name: "5h" | "7d", pace: WindowPace, nowMs: number): Part {
  const rank = RANK[name];
  if (pace.resetSinceSeen) return { rank, segments: [[`${name} `, "dim"], ["reset", "green"]] };
  const segments: Segment[] = [[`${name} `, "dim"], [usedPercent(pace.utilization ?? 0), level(pace)]];
  const details: Segment[] = [];
  // The pace's warning: at the last hour's rate the window fills before it resets.
  if (pace.fullBeforeReset && pace.fullAt !== null) details.push([`full ${toTheMinute(pace.fullAt, nowMs)}`, "red"]);
  if (name === "5h" && pace.resetsAt !== null) details.push([`resets ${toTheMinute(pace.resetsAt, nowMs)}`, "dim"]);
  if (details.length > 0) {
    segments.push([" (", "dim"]);
    details.forEach((d, i) => segments.push(...(i > 0 ? [[", ", "dim"] as Segment] : []), d));
    segments.push([")", "dim"]);
  }
  return { rank, segments };
}

function parts(m: LineModel, nowMs: number): Part[] {
  const out: Part[] = m.notices.map(oneLine).filter((n) => n !== "").map((n) => ({ rank: RANK.notice, segments: [[n, "yellow"]] }));
  if (m.session) out.push(sessionPart(m.session));
  out.push({ rank: RANK.today, segments: [[usd(m.todayMicros)], [" today", "dim"]] });
  for (const w of m.windows) out.push(windowPart(w.name, w.pace, nowMs));
  if (m.burnMicrosPerHour !== null) out.push({ rank: RANK.burn, segments: [[`${usd(m.burnMicrosPerHour)}/h`]] });
  return out;
}

const plain = (p: Part) => p.segments.map(([t]) => t).join("");
const paint = ([text, style]: Segment, color: boolean) => (color && style ? `${SGR[style][0]}${text}${SGR[style][1]}` : text);

/** Neighbours of one style share one pair of codes. */
function paintPart(p: Part, color: boolean): string {
  const runs: Array<[string, Style | undefined]> = [];
  for (const [text, style] of p.segments) {
    const last = runs[runs.length - 1];
    if (last && last[1] === style) last[0] += text;
    else runs.push([text, style]);
  }
  return runs.map((r) => paint(r, color)).join("");
}

/** Keeps parts, most important first, while the whole still fits; the line keeps their order. */
function fit(all: Part[], maxWidth: number | null): Part[] {
  if (maxWidth === null) return all;
  const widths = new Map(all.map((p) => [p, Bun.stringWidth(plain(p))]));
  const kept = new Set(all);
  // "◆", a space, the parts with a separator between each two.
  const width = () => (kept.size === 0 ? 1 : 2 + [...kept].reduce((sum, p) => sum + widths.get(p)!, 0) + SEPARATOR.length * (kept.size - 1));
  const byRank = [...all].sort((a, b) => a.rank - b.rank);
  for (const p of byRank) {
    if (width() <= maxWidth) break;
    kept.delete(p);
  }
  return all.filter((p) => kept.has(p));
}

function render(all: Part[], o: Pick<LineOptions, "color" | "maxWidth">): string {
  const shown = fit(all, o.maxWidth);
  const head = paint([HEAD, "cyan"], o.color);
  if (shown.length === 0) return head;
  const sep = paint([SEPARATOR, "dim"], o.color);
  return `${head} ${shown.map((p) => paintPart(p, o.color)).join(sep)}`;
}

export function statusLine(m: LineModel, o: LineOptions): string {
  return render(parts(m, o.nowMs), o);
}

/** `◆ meter: no data yet` and the like, when there is nothing to show but why. */
export function placeholderLine(message: string, o: Pick<LineOptions, "color" | "maxWidth">): string {
  return render([{ rank: 1, segments: [[`meter: ${oneLine(message)}`, "dim"]] }], o);
}
