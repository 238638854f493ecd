/// <reference lib="dom" />
// The dashboard: providers' limit windows, totals, spend over time by provider, top projects and
// models, and the newest requests, polled from the loopback API with the shared typed client. New
// requests are picked up every two seconds by id; the totals follow as soon as something new
// arrives, the limits (which only move with requests) at most every five seconds.

import { createClient } from "../client.ts";
import type { LimitsResponse, RequestRecord, StatsResponse } from "../types.ts";
import { bucketLabels, renderChart } from "./_chart.ts";
import { byId, setText } from "./_dom.ts";
import { renderLimits, tickLimits } from "./_limits.ts";
import { renderCards, renderModels, renderProjects, requestRow } from "./_render.ts";

const POLL_MS = 2000;
const STATS_EVERY_MS = 30_000;
const LIMITS_EVERY_MS = 30_000;
const LIMITS_AFTER_ROWS_MS = 5_000;
const RECENT = 25;
const PERIODS = ["24h", "7d", "30d", "90d"];

const api = createClient({ baseUrl: "" });
let since = PERIODS.find((p) => location.hash === `#since=${p}`) ?? "30d";
let lastId = 0;
let recent: RequestRecord[] = [];
let stats: StatsResponse | null = null;
let statsAt = 0;
let statsLoading = false;
let limits: LimitsResponse | null = null;
/** When the last limits fetch started, whether it answered or not. */
let limitsAt = 0;
/** New rows came since then: their windows may have moved. */
let limitsStale = false;
let limitsLoading = false;

function setLive(state: "live" | "down" | "connecting", text: string): void {
  byId("live").dataset.state = state;
  setText("live-text", text);
}

function clock(): string {
  return new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function drawChart(): void {
  if (!stats) return;
  const labels = bucketLabels(Date.parse(stats.period.since), Date.parse(stats.period.until), stats.series.bucket);
  renderChart(byId("chart") as unknown as SVGSVGElement, byId("legend"), stats.series.points, labels, stats.series.bucket);
  setText("chart-note", stats.series.bucket === "hour" ? "· by hour" : "· by day");
}

async function refreshStats(): Promise<void> {
  if (statsLoading) return;
  statsLoading = true;
  try {
    const res = await api.stats({ since });
    if (!res.ok) return setLive(res.status === 0 ? "down" : "connecting", res.status === 0 ? "daemon not answering" : res.error);
    stats = res.value;
    statsAt = Date.now();
    renderCards(stats);
    drawChart();
    renderProjects(stats.byProject, stats.summary.costMicros);
    renderModels(stats.byModel);
    setText("foot-period", `${new Date(stats.period.since).toLocaleString()} to ${new Date(stats.period.until).toLocaleString()}`);
    (byId("csv") as HTMLAnchorElement).href = api.csvUrl({ since });
  } finally {
    statsLoading = false;
  }
}

/** A failed fetch keeps the last panel (an old reading beats a blank) and is tried again after the next new rows, or in 30 s. */
async function refreshLimits(): Promise<void> {
  if (limitsLoading) return;
  limitsLoading = true;
  limitsAt = Date.now();
  limitsStale = false;
  try {
    const res = await api.limits();
    if (!res.ok) return;
    limits = res.value;
    renderLimits(byId("limits"), byId("limits-accounts"), limits, Date.now());
    setText("limits-note", `· pace over the last ${limits.lookbackMinutes} min`);
  } finally {
    limitsLoading = false;
  }
}

function followLimits(): void {
  const since = Date.now() - limitsAt;
  if (since >= LIMITS_EVERY_MS || (limitsStale && since >= LIMITS_AFTER_ROWS_MS)) void refreshLimits();
  else if (limits) tickLimits(byId("limits-accounts"), Date.now());
}

function renderRecent(freshIds: Set<number>): void {
  const body = (byId("recent") as HTMLTableElement).tBodies[0]!;
  body.replaceChildren(...recent.map((r) => requestRow(r, freshIds.has(r.id))));
  byId("recent-empty").hidden = recent.length > 0;
}

async function loadRecent(): Promise<void> {
  const res = await api.requests({ limit: RECENT });
  if (!res.ok) return setLive("down", "daemon not answering");
  recent = res.value.rows;
  lastId = recent.reduce((m, r) => Math.max(m, r.id), 0);
  renderRecent(new Set());
  setLive("live", `live · ${clock()}`);
}

async function poll(): Promise<void> {
  const res = await api.requestsAfter(lastId, { limit: 200 });
  if (!res.ok) return setLive("down", res.status === 0 ? "daemon not answering" : res.error);
  setLive("live", `live · ${clock()}`);
  if (res.value.rows.length) {
    lastId = res.value.lastId;
    const fresh = [...res.value.rows].reverse();
    recent = [...fresh, ...recent].slice(0, RECENT);
    renderRecent(new Set(fresh.map((r) => r.id)));
    limitsStale = true;
    followLimits();
    await refreshStats();
  } else {
    followLimits();
    if (Date.now() - statsAt > STATS_EVERY_MS) await refreshStats();
  }
}

function choosePeriod(value: string): void {
  since = value;
  history.replaceState(null, "", `#since=${value}`);
  for (const b of byId("periods").querySelectorAll("button")) b.classList.toggle("on", b.dataset.since === value);
  void refreshStats();
}

async function loop(): Promise<void> {
  try {
    await poll();
  } finally {
    setTimeout(() => void loop(), POLL_MS);
  }
}

async function start(): Promise<void> {
  byId("periods").addEventListener("click", (e) => {
    const value = (e.target as HTMLElement).closest("button")?.dataset.since;
    if (value) choosePeriod(value);
  });
  let resizeTimer: ReturnType<typeof setTimeout> | undefined;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(drawChart, 100);
  });
  choosePeriod(since);
  void refreshLimits();
  await loadRecent();
  setTimeout(() => void loop(), POLL_MS);
}

void start();
