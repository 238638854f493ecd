// The Limits panel in a real headless Chromium against the real API and store: a gauge per
// subscription window with its percentage, verdict, reset and pace, a sparkline of the last hour,
// the API-key rate limits in a compact row, live updates after new requests, the last panel kept
// when a fetch fails, nothing at all for a store without windows, and a phone-width layout that
// does not scroll sideways.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { defaultConfig } from "../../core/config/index.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { insertRows, openStore, type RequestRow, type Store } from "../../core/store/index.ts";
import type { LimitSampleRow } from "../../core/store/limits.ts";
import { makeSandbox, waitFor, type Sandbox } from "../harness/sandbox.ts";
import { makeRow } from "../store/_fixtures.ts";
import { openBrowser, screenshotPath, serveApi } from "./_browser.ts";

const MIN = 60_000;
const CLAUDE = "3f9a1c2e5b7d9f01";
const OPENAI = "9b2e77aa11223344";
const CODEX = "c0de0000aaaabbbb";
const LONG = "7d_a_window_nobody_has_named_yet_and_whose_name_goes_on_and_on";

let sb: Sandbox;
let store: Store;
let empty: Store;
let server: ReturnType<typeof Bun.serve>;
let emptyServer: ReturnType<typeof Bun.serve>;
let context: BrowserContext;
let page: Page;
let problems: string[];
let seq = 0;
const now = Date.now();
const reset5h = now + (2 * 60 + 14) * MIN + 30_000;

const sample = (over: Partial<LimitSampleRow> & { observedAt: number }): LimitSampleRow => ({
  provider: "anthropic", window: "5h", kind: "subscription", utilization: null, limit: null, remaining: null,
  resetsAt: reset5h, windowMinutes: null, status: "allowed", ...over,
});

function request(at: number, account: string, limits: LimitSampleRow[], over: Partial<RequestRow> = {}): RequestRow {
  return makeRow(++seq, { exchangeId: `limits-${seq}`, startedAt: at - 900, endedAt: at, account, limits, ...over });
}

/** Three accounts: a Claude subscription, an OpenAI API key, a Codex plan. */
function traffic(): RequestRow[] {
  const week = now + 3 * 86_400_000;
  const five = (minAgo: number, u: number) => sample({ observedAt: now - minAgo * MIN, utilization: u });
  const seven = (minAgo: number, u: number) => sample({ window: "7d", observedAt: now - minAgo * MIN, utilization: u, resetsAt: week, status: "allowed_warning" });
  const t = now - 10 * MIN;
  const openai = { provider: "openai" as const, host: "api.openai.com", model: "gpt-5", client: "curl", project: "beta" };
  return [
    request(now - 90 * MIN, CLAUDE, [five(90, 0.2)]),
    request(now - 50 * MIN, CLAUDE, [five(50, 0.3), seven(50, 0.8)]),
    request(now - 30 * MIN, CLAUDE, [five(30, 0.36)]),
    request(t, CLAUDE, [
      five(10, 0.42),
      seven(10, 0.85),
      sample({ window: "overage", observedAt: t, utilization: 1.02, status: "rejected", resetsAt: now + 20 * 86_400_000 }),
      sample({ window: "unified", observedAt: t, status: "allowed_warning", extra: { "representative-claim": "seven_day" } }),
      sample({ window: LONG, observedAt: t, utilization: 0.1, status: null }),
    ]),
    request(now - 5 * MIN, OPENAI, [
      sample({ provider: "openai", window: "requests", kind: "rate-limit", observedAt: now - 5 * MIN, limit: 500, remaining: 499, resetsAt: now + 10 * MIN, status: null }),
      sample({ provider: "openai", window: "tokens", kind: "rate-limit", observedAt: now - 5 * MIN, limit: 30_000, remaining: 27_000, resetsAt: now + 10 * MIN, status: null }),
    ], openai),
    request(now - 3 * MIN, CODEX, [
      sample({ provider: "chatgpt", window: "primary", observedAt: now - 3 * MIN, utilization: 0.12, windowMinutes: 300, resetsAt: now + 4 * 60 * MIN, status: null }),
      sample({ provider: "chatgpt", window: "secondary", observedAt: now - 3 * MIN, utilization: 0.4, windowMinutes: 10_080, resetsAt: week, status: null }),
    ], { provider: "chatgpt", host: "chatgpt.com", model: "gpt-5-codex", client: "codex", project: "gamma" }),
  ];
}

beforeAll(async () => {
  sb = makeSandbox("hm-dash-limits-");
  store = openStore(join(sb.meterHome, "db.sqlite"));
  empty = openStore(join(sb.meterHome, "empty.sqlite"));
  insertRows(store, traffic());
  insertRows(empty, [makeRow(1, { startedAt: now - MIN, endedAt: now - MIN + 500 })]);
  server = serveApi(store, now);
  emptyServer = serveApi(empty, now);
  ({ context, page, problems } = await openBrowser(join(sb.root, "chromium-profile")));
}, 60_000);

afterAll(async () => {
  await context?.close();
  server?.stop(true);
  emptyServer?.stop(true);
  store?.close();
  empty?.close();
  await sb?.cleanup();
});

const account = (id: string) => page.locator(`#limits .limit-account[data-account="${id}"]`);
const gauge = (id: string, window: string) => account(id).locator(`.gauge[data-window="${window}"]`);
const sparkPoints = async (id: string, window: string) => {
  const points = await gauge(id, window).locator("svg.spark polyline.spark-line").getAttribute("points");
  return points?.match(/^[\d.]+,[\d.]+( [\d.]+,[\d.]+)*$/) ? points.split(" ").length : null;
};

test("a gauge per subscription window, rate limits in a row, a sparkline of the last hour", async () => {
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.locator("#limits .gauge").first().waitFor();
  // Above "Spend over time".
  expect(await page.locator("main > section.panel").first().getAttribute("id")).toBe("limits");
  expect(await page.locator("#limits .gauge").count()).toBe(7);
  expect(await account(CLAUDE).locator(".limit-who").textContent()).toBe("Anthropic · account 3f9a1c2e · claude-code in alpha");
  expect(await account(CODEX).locator(".limit-who").textContent()).toBe("ChatGPT (Codex) · account c0de0000 · codex in gamma");

  const five = gauge(CLAUDE, "5h");
  expect(await five.locator(".gauge-used").textContent()).toBe("42%");
  expect(await five.getAttribute("data-level")).toBe("ok");
  expect(await five.locator(".gauge-bar").getAttribute("aria-valuenow")).toBe("42");
  expect(await five.locator(".gauge-reset").textContent()).toMatch(/^resets (\w{3} )?\d\d:\d\d · in 2h 1[34]m$/);
  expect(await five.locator(".gauge-pace").textContent()).toBe("+18%/h · resets first");
  // A point per sample of the last hour: the one from 90 minutes ago is before it.
  expect(await sparkPoints(CLAUDE, "5h")).toBe(3);
  expect(await sparkPoints(CLAUDE, "7d")).toBe(2);
  expect(await sparkPoints(CODEX, "primary")).toBe(1);
  expect(await gauge(CODEX, "primary").locator("svg.spark line.spark-dot").count()).toBe(1);

  const seven = gauge(CLAUDE, "7d");
  expect(await seven.locator(".gauge-used").textContent()).toBe("85%");
  expect(await seven.getAttribute("data-level")).toBe("warn");
  expect(await seven.locator(".gauge-pace").textContent()).toMatch(/^\+7\.5%\/h · full (\w{3} )?\d\d:\d\d, before the reset$/);

  const overage = gauge(CLAUDE, "overage");
  expect(await overage.locator(".gauge-used").textContent()).toBe("102%");
  expect(await overage.getAttribute("data-level")).toBe("bad");
  expect(await overage.locator(".gauge-status").textContent()).toBe("rejected");
  expect(await overage.locator(".gauge-pace").textContent()).toBe("full now");

  const overall = gauge(CLAUDE, "unified");
  expect(await overall.locator(".gauge-name").textContent()).toBe("overall");
  expect(await overall.getAttribute("data-level")).toBe("warn");
  expect(await overall.locator(".gauge-status").textContent()).toBe("allowed warning · binding: seven day");
  expect(await overall.locator(".gauge-bar, .gauge-used, svg.spark").count()).toBe(0);

  expect(await gauge(CODEX, "primary").locator(".gauge-name").textContent()).toBe("primary (5h)");
  expect(await gauge(CODEX, "secondary").locator(".gauge-name").textContent()).toBe("secondary (7d)");
  expect(await gauge(CODEX, "secondary").locator(".gauge-used").textContent()).toBe("40%");

  expect(await account(OPENAI).locator(".gauge").count()).toBe(0);
  expect(await account(OPENAI).locator(".rate-limits li").allTextContents()).toEqual([
    expect.stringMatching(/^requests 499 of 500 left · resets in (9m \d+s|10m)$/),
    expect.stringMatching(/^tokens 27,000 of 30,000 left · resets in (9m \d+s|10m)$/),
  ]);

  // The computed colours follow the levels.
  const fills = await page.locator("#limits .gauge-fill").evaluateAll((nodes) => nodes.map((n) => getComputedStyle(n).backgroundColor));
  expect(new Set(fills).size).toBe(3);
  await page.screenshot({ path: screenshotPath("dashboard-limits.png"), fullPage: true });
  expect(existsSync(screenshotPath("dashboard-limits.png"))).toBe(true);
  expect(problems).toEqual([]);
}, 60_000);

test("follows new requests' windows, and keeps the last panel when a fetch fails", async () => {
  const at = Date.now();
  insertRows(store, [request(at, CLAUDE, [sample({ observedAt: at, utilization: 0.55 })])]);
  await waitFor(async () => (await gauge(CLAUDE, "5h").locator(".gauge-used").textContent()) === "55%", "the 5h gauge to follow the new request", 15_000);
  expect(await sparkPoints(CLAUDE, "5h")).toBe(4);

  let refused = 0;
  await page.route("**/v1/limits*", (route) => {
    refused++;
    return route.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify({ error: "internal error" }) });
  });
  const later = Date.now();
  insertRows(store, [request(later, CLAUDE, [sample({ observedAt: later, utilization: 0.6 })], { project: "after-failure" })]);
  await page.locator('#recent tbody tr:has-text("after-failure")').waitFor({ timeout: 15_000 });
  await waitFor(() => refused > 0, "the dashboard to ask for the limits again", 15_000);
  expect(await gauge(CLAUDE, "5h").locator(".gauge-used").textContent()).toBe("55%");
  expect(await page.locator("#limits").isVisible()).toBe(true);
  expect(await page.getAttribute("#live", "data-state")).toBe("live");
  await page.unroute("**/v1/limits*");
  // The browser reports the refused fetch itself; nothing else went wrong.
  expect(problems.filter((p) => !p.includes("status of 500"))).toEqual([]);
  problems.length = 0;
}, 60_000);

test("at 375px wide the gauges stack and nothing scrolls sideways", async () => {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.locator("#limits .gauge").first().waitFor();
  await page.locator("#recent tbody tr[data-id]").first().waitFor();
  const boxes = await account(CLAUDE).locator(".gauge").evaluateAll((nodes) => nodes.map((n) => n.getBoundingClientRect()).map((r) => ({ x: r.left, y: r.top, right: r.right })));
  expect(boxes.length).toBe(5);
  expect(new Set(boxes.map((b) => b.x)).size).toBe(1);
  for (let i = 1; i < boxes.length; i++) expect(boxes[i]!.y).toBeGreaterThan(boxes[i - 1]!.y);
  expect(Math.max(...boxes.map((b) => b.right))).toBeLessThanOrEqual(375);
  const long = gauge(CLAUDE, LONG).locator(".gauge-name");
  expect(await long.getAttribute("title")).toBe(LONG);
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
  await page.screenshot({ path: screenshotPath("dashboard-limits-375.png"), fullPage: true });
  await page.setViewportSize({ width: 1360, height: 1000 });
  expect(problems).toEqual([]);
}, 60_000);

test("a store without limit windows shows no panel", async () => {
  const answered = page.waitForResponse((r) => r.url().includes("/v1/limits"));
  await page.goto(`http://127.0.0.1:${emptyServer.port}/`);
  const res = await answered;
  expect(((await res.json()) as { accounts: unknown[] }).accounts).toEqual([]);
  await page.locator("#recent tbody tr[data-id]").first().waitFor();
  expect(await page.locator("#limits").isHidden()).toBe(true);
  expect(await page.locator("#limits .limit-account").count()).toBe(0);
  expect(problems).toEqual([]);
}, 60_000);

test("the budget alerts in effect stand above the gauges, exceeded ones marked bad", async () => {
  const budgets = { ...defaultConfig().budgets, window_alerts: [0.8] };
  const alerting = serveApi(store, now, budgets);
  try {
    await page.goto(`http://127.0.0.1:${alerting.port}/`);
    await page.locator("#limits-alerts li").first().waitFor();
    const items = await page.locator("#limits-alerts li").evaluateAll((lis) => lis.map((li) => [li.getAttribute("data-level"), li.textContent]));
    expect(items).toContainEqual(["warn", "anthropic 7d limit: 85% used (alert at 80%)"]);
    expect(items).toContainEqual(["bad", "anthropic overage limit reached (102% used)"]);
    expect(problems).toEqual([]);
  } finally {
    alerting.stop(true);
  }
}, 60_000);
