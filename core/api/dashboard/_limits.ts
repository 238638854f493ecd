/// <reference lib="dom" />
// The Limits panel: a block per provider account, a gauge per subscription window (how full, the
// provider's verdict, the reset, the pace and the last hour as a sparkline) and a compact row for
// the API-key rate limits. Hidden while /v1/limits knows no account.

import type { LimitsAccountJson, LimitsResponse, LimitWindowJson } from "../types.ts";
import { el, svg } from "./_dom.ts";
import { accountHeading, levelOf, paceText, rateText, resetMs, resetText, statusText, usedText, windowName } from "./_limit-words.ts";
import { relative } from "../../time/relative.ts";

const SPARK_W = 100;
const SPARK_H = 24;

/** The reset line, marked so `tickLimits` can keep its "in 2h 14m" current between fetches. */
function resetLine(tag: "p" | "span", className: string, w: LimitWindowJson, now: number, short: boolean): HTMLElement {
  const at = resetMs(w);
  const node = el(tag, { class: className }, resetText(at, now, short));
  if (at !== null) {
    node.dataset.resetsAt = String(at);
    if (short) node.dataset.short = "1";
  }
  return node;
}

/**
 * The lookback's samples across its span, 0..100% bottom to top (over 100% sits at the top), the
 * latest one dotted; null without a sample that has a fraction.
 */
function sparkline(w: LimitWindowJson, at: number, lookbackMs: number): SVGSVGElement | null {
  const known = w.history.filter((h): h is { at: string; utilization: number } => h.at !== null && h.utilization !== null);
  if (!known.length) return null;
  const from = at - lookbackMs;
  const xy = known.map((h) => {
    const x = Math.min(SPARK_W, Math.max(0, ((Date.parse(h.at) - from) / lookbackMs) * SPARK_W));
    const y = SPARK_H - 2 - Math.min(1, Math.max(0, h.utilization)) * (SPARK_H - 4);
    return [x.toFixed(1), y.toFixed(1)] as const;
  });
  const [lastX, lastY] = xy[xy.length - 1]!;
  const root = svg("svg", { class: "spark", viewBox: `0 0 ${SPARK_W} ${SPARK_H}`, preserveAspectRatio: "none", role: "img", "aria-label": `${windowName(w)} over the last ${Math.round(lookbackMs / 60_000)} minutes` });
  root.append(svg("line", { class: "spark-base", x1: 0, x2: SPARK_W, y1: SPARK_H - 2, y2: SPARK_H - 2, "vector-effect": "non-scaling-stroke" }));
  root.append(svg("polyline", { class: "spark-line", points: xy.map((p) => p.join(",")).join(" "), "vector-effect": "non-scaling-stroke" }));
  // A zero-length line with round caps: a dot that stays round however the sparkline is stretched.
  root.append(svg("line", { class: "spark-dot", x1: lastX, x2: lastX, y1: lastY, y2: lastY, "vector-effect": "non-scaling-stroke" }));
  return root;
}

function gauge(w: LimitWindowJson, now: number, at: number, lookbackMs: number): HTMLElement {
  const label = windowName(w);
  const level = levelOf(w);
  const used = usedText(w);
  const head = el("div", { class: "gauge-head" }, el("span", { class: "gauge-name", title: label }, label), ...(used ? [el("span", { class: "gauge-used" }, used)] : []));
  const box = el("div", { class: "gauge", "data-window": w.window, "data-level": level, ...(w.status && { "data-status": w.status }) }, head);
  if (w.utilization !== null) {
    const pct = Math.round(w.utilization * 100);
    const fill = el("div", { class: "gauge-fill" });
    fill.style.width = `${Math.min(100, Math.max(0, pct))}%`; // CSSOM, not a style attribute: the CSP allows no inline styles
    box.append(el("div", { class: "gauge-bar", role: "meter", "aria-label": `${label} used`, "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(pct) }, fill));
  }
  const status = statusText(w);
  if (status) box.append(el("p", { class: "gauge-status" }, el("span", { class: "pill" }, status)));
  box.append(resetLine("p", "gauge-reset", w, now, false));
  const pace = paceText(w, now);
  if (pace) box.append(el("p", { class: "gauge-pace" }, pace));
  const spark = sparkline(w, at, lookbackMs);
  if (spark) box.append(spark);
  return box;
}

function rateItem(w: LimitWindowJson, now: number): HTMLElement {
  const item = el("li", { "data-window": w.window, "data-level": levelOf(w) }, el("span", {}, rateText(w)));
  if (resetMs(w) !== null) item.append(" · ", resetLine("span", "rate-reset", w, now, true));
  return item;
}

function accountBlock(a: LimitsAccountJson, now: number, at: number, lookbackMs: number): HTMLElement {
  const seen = a.lastSeen === null ? "" : `seen ${relative(Date.parse(a.lastSeen), now)}`;
  const block = el(
    "article",
    { class: "limit-account", "data-provider": a.provider, "data-account": a.account },
    el("div", { class: "limit-head" }, el("h3", { class: "limit-who" }, accountHeading(a)), el("span", { class: "muted" }, seen)),
  );
  const gauges = a.windows.filter((w) => w.kind !== "rate-limit");
  const rates = a.windows.filter((w) => w.kind === "rate-limit");
  if (gauges.length) block.append(el("div", { class: "gauges" }, ...gauges.map((w) => gauge(w, now, at, lookbackMs))));
  if (rates.length) block.append(el("ul", { class: "rate-limits", "aria-label": "Rate limits" }, ...rates.map((w) => rateItem(w, now))));
  return block;
}

/** Draws the panel from an answer; hides it when no account has reported a window. */
export function renderLimits(panel: HTMLElement, body: HTMLElement, r: LimitsResponse, now: number): void {
  const at = r.at === null ? now : Date.parse(r.at);
  const lookbackMs = r.lookbackMinutes * 60_000;
  body.replaceChildren(...r.accounts.map((a) => accountBlock(a, now, at, lookbackMs)));
  // The [budgets] alerts in effect, above the gauges: they are the news.
  const alerts = panel.querySelector<HTMLElement>("#limits-alerts");
  if (alerts) {
    alerts.replaceChildren(...r.alerts.map((a) => el("li", { "data-level": a.severity === "exceeded" ? "bad" : "warn" }, a.message)));
    alerts.hidden = r.alerts.length === 0;
  }
  panel.hidden = r.accounts.length === 0 && r.alerts.length === 0;
}

/** Keeps every reset's relative time current without refetching. */
export function tickLimits(body: HTMLElement, now: number): void {
  for (const node of body.querySelectorAll<HTMLElement>("[data-resets-at]")) {
    node.textContent = resetText(Number(node.dataset.resetsAt), now, node.dataset.short === "1");
  }
}
