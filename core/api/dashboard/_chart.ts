/// <reference lib="dom" />
// Spend over time as stacked bars, one colour per provider, drawn as SVG.

import { usd } from "../../report/format.ts";
import type { SeriesPoint } from "../types.ts";
import { el, providerColor, svg } from "./_dom.ts";

const HEIGHT = 240;
const MARGIN = { top: 12, right: 8, bottom: 26, left: 62 };
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const pad = (n: number) => String(n).padStart(2, "0");

/** Every bucket label in [since, until) on this browser's clock, in the API's format. */
export function bucketLabels(since: number, until: number, bucket: "day" | "hour"): string[] {
  const labels: string[] = [];
  const d = new Date(since);
  if (bucket === "day") d.setHours(0, 0, 0, 0);
  else d.setMinutes(0, 0, 0);
  for (; d.getTime() < until && labels.length < 2000; bucket === "day" ? d.setDate(d.getDate() + 1) : d.setHours(d.getHours() + 1)) {
    const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    labels.push(bucket === "day" ? day : `${day}T${pad(d.getHours())}:00`);
  }
  return labels;
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const exp = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= v) return m * exp;
  return 10 * exp;
}

function tickLabel(label: string, bucket: "day" | "hour"): string {
  if (bucket === "hour") return label.slice(11);
  return `${MONTHS[Number(label.slice(5, 7)) - 1]} ${Number(label.slice(8, 10))}`;
}

export function renderChart(root: SVGSVGElement, legend: HTMLElement, points: SeriesPoint[], labels: string[], bucket: "day" | "hour"): void {
  const width = Math.max(320, root.clientWidth || 900);
  root.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
  root.replaceChildren();
  const providers = [...new Set(points.map((p) => p.provider))].sort();
  const cells = new Map(points.map((p) => [`${p.time}|${p.provider}`, p]));
  const totals = labels.map((t) => providers.reduce((n, p) => n + (cells.get(`${t}|${p}`)?.costMicros ?? 0), 0));
  const max = niceMax(Math.max(...totals, 0));
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const y = (micros: number) => MARGIN.top + plotH - (micros / max) * plotH;

  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    root.append(svg("line", { class: "gridline", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(v), y2: y(v) }));
    root.append(svg("text", { class: "axis", x: MARGIN.left - 8, y: y(v) + 4, "text-anchor": "end" }, usd(v)));
  }
  const slot = plotW / Math.max(1, labels.length);
  const barW = Math.max(1, Math.min(42, slot * 0.72));
  const every = Math.max(1, Math.ceil(labels.length / Math.max(2, Math.floor(plotW / 70))));
  labels.forEach((label, i) => {
    const x = MARGIN.left + slot * i + (slot - barW) / 2;
    let base = 0;
    for (const provider of providers) {
      const cell = cells.get(`${label}|${provider}`);
      if (!cell || cell.costMicros <= 0) continue;
      const top = y(base + cell.costMicros);
      const title = `${label.replace("T", " ")} · ${provider}: ${usd(cell.costMicros)} (${cell.requests} requests${cell.unpricedRequests ? `, ${cell.unpricedRequests} unpriced` : ""})`;
      root.append(svg("rect", { class: "bar", x, y: top, width: barW, height: Math.max(0.5, y(base) - top), fill: providerColor(provider), rx: Math.min(2, barW / 4) }, svg("title", {}, title)));
      base += cell.costMicros;
    }
    if (i % every === 0) root.append(svg("text", { class: "axis", x: x + barW / 2, y: HEIGHT - 8, "text-anchor": "middle" }, tickLabel(label, bucket)));
  });
  if (totals.every((t) => t === 0)) {
    root.append(svg("text", { class: "axis", x: MARGIN.left + plotW / 2, y: MARGIN.top + plotH / 2, "text-anchor": "middle" }, "No priced spend in this period"));
  }
  legend.replaceChildren(
    ...providers.map((p) => {
      const swatch = el("i");
      swatch.style.background = providerColor(p); // CSSOM, not a style attribute: the CSP allows no inline styles
      return el("span", {}, swatch, p);
    }),
  );
}
