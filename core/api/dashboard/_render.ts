/// <reference lib="dom" />
// The dashboard's cards and tables, from API answers.

import { compact, costCell, duration, percent, thousands, usd } from "../../report/format.ts";
import type { GroupRow, RequestRecord, StatsResponse } from "../types.ts";
import { byId, el, providerColor, setText } from "./_dom.ts";

const pad = (n: number) => String(n).padStart(2, "0");

export function renderCards(s: StatsResponse): void {
  const t = s.summary;
  setText("k-cost", t.unpricedRequests === t.requests && t.requests > 0 ? "unpriced" : usd(t.costMicros));
  setText("k-cost-sub", t.unpricedRequests ? `* ${thousands(t.unpricedRequests)} requests without a known price` : s.period.label);
  setText("k-requests", thousands(t.requests));
  const days = Math.max(1, (Date.parse(s.period.until) - Date.parse(s.period.since)) / 86_400_000);
  setText("k-requests-sub", `${compact(Math.round(t.requests / days))} a day on average`);
  setText("k-tokens", compact(t.inputTokens + t.outputTokens + t.cacheReadTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens));
  setText("k-tokens-sub", `in ${compact(t.inputTokens)} · out ${compact(t.outputTokens)} · cache ${compact(t.cacheReadTokens)}`);
  setText("k-cache", percent(t.cacheHitRate));
  setText("k-cache-sub", `${compact(t.cacheReadTokens)} tokens read from cache`);
  setText("k-p95", duration(t.p95LatencyMs));
  setText("k-p95-sub", `p95 · average ${duration(t.avgLatencyMs)}`);
}

function cell(text: string, numeric = false, title?: string): HTMLTableCellElement {
  return el("td", { ...(numeric && { class: "num" }), ...(title && { title }) }, text);
}

function fill(tableId: string, rows: HTMLTableRowElement[], empty: string): void {
  const body = byId<HTMLTableElement>(tableId).tBodies[0]!;
  const columns = byId<HTMLTableElement>(tableId).tHead!.rows[0]!.cells.length;
  body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: String(columns), class: "muted" }, empty))]));
}

export function renderProjects(rows: GroupRow[], total: number): void {
  fill(
    "projects",
    rows.slice(0, 8).map((r) => {
      const bar = el("div");
      bar.style.width = `${total > 0 ? Math.max(1, (r.costMicros / total) * 100) : 0}%`;
      const name = r.key ?? "(none)";
      return el("tr", { "data-project": name }, cell(name, false, name), cell(thousands(r.requests), true), cell(costCell(r.costMicros, r.requests, r.unpricedRequests), true), el("td", {}, el("div", { class: "sharebar" }, bar)), cell(percent(r.cacheHitRate), true));
    }),
    "No projects in this period",
  );
}

export function renderModels(rows: GroupRow[]): void {
  fill(
    "models",
    rows.slice(0, 8).map((r) => {
      const name = r.key ?? "(unknown)";
      return el("tr", { "data-model": name }, cell(name, false, name), cell(thousands(r.requests), true), cell(`${compact(r.inputTokens)} / ${compact(r.outputTokens)}`, true), cell(costCell(r.costMicros, r.requests, r.unpricedRequests), true), cell(percent(r.cacheHitRate), true));
    }),
    "No models in this period",
  );
}

export function requestRow(r: RequestRecord, fresh: boolean): HTMLTableRowElement {
  const d = new Date(r.startedAt);
  const dot = el("span", { class: "provider-dot" });
  dot.style.background = providerColor(r.provider);
  const model = el("td", { title: `${r.provider} · ${r.model ?? "no model"}` }, dot, r.model ?? r.provider);
  const ok = r.status !== null && r.status < 400;
  const status = el("td", { class: "num" }, el("span", { class: ok ? "pill" : "pill err" }, r.status === null ? "cut" : String(r.status)));
  const cost = r.priceStatus === "unmetered" ? "-" : costCell(r.costMicros ?? 0, 1, r.priceStatus === "unpriced" ? 1 : 0, true);
  return el(
    "tr",
    { "data-id": String(r.id), ...(fresh && { class: "fresh" }) },
    cell(`${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`, false, d.toLocaleString()),
    cell(r.project ?? "(none)", false, r.project ?? ""),
    cell(r.client ?? "-"),
    model,
    cell(`${compact(r.tokens.input)} / ${compact(r.tokens.output)}`, true),
    cell(cost, true),
    cell(duration(r.latencyMs), true),
    status,
  );
}
