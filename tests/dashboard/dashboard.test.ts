// The dashboard in a real headless Chromium (Debian's, driven by playwright-core): it loads from the
// API port, shows the rows fake traffic wrote through the capture writer, follows new rows live,
// breaks no rule of its own Content-Security-Policy, and leaves a screenshot behind.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { createCaptureWriter, openStore, type CaptureWriter, type RequestRow, type Store } from "../../core/store/index.ts";
import { makeSandbox, waitFor, type Sandbox } from "../harness/sandbox.ts";
import { openBrowser, screenshotPath, serveApi } from "./_browser.ts";

const HOUR = 3_600_000;
const PROVIDERS: Array<[string, string, string]> = [
  ["anthropic", "claude-sonnet-4-5", "claude-code"],
  ["openai", "gpt-5", "codex"],
  ["google", "gemini-2.5-pro", "gemini-cli"],
  ["xai", "grok-4", "curl"],
];
const PROJECTS = ["checkout-api", "web-frontend", "data-pipeline", "infra-tools", "docs-site"];

let sb: Sandbox;
let store: Store;
let writer: CaptureWriter;
let server: ReturnType<typeof Bun.serve>;
let context: BrowserContext;
let page: Page;
let problems: string[];
let seq = 0;

function traffic(startedAt: number, project: string, i: number): RequestRow {
  const [provider, model, client] = PROVIDERS[i % PROVIDERS.length]!;
  const unpriced = provider === "xai" && i % 3 === 0;
  return {
    exchangeId: `dash-${seq++}`,
    startedAt,
    endedAt: startedAt + 900 + (i % 7) * 400,
    provider,
    host: `api.${provider}.test`,
    endpoint: "messages",
    method: "POST",
    path: "/v1/messages",
    model,
    status: i % 23 === 0 ? 429 : 200,
    stream: true,
    tokens: { input: 800 + ((i * 37) % 4000), output: 120 + ((i * 13) % 900), cacheRead: i % 5 === 0 ? 0 : 6000 + ((i * 101) % 20_000), cacheWrite5m: i % 9 === 0 ? 1500 : 0, cacheWrite1h: 0, reasoning: 0 },
    costMicros: unpriced ? null : 2_000 + ((i * 7_919) % 60_000),
    priceStatus: unpriced ? "unpriced" : "priced",
    latencyMs: 900 + (i % 7) * 400,
    ttfbMs: 250,
    project,
    projectSource: "git",
    client,
  };
}

beforeAll(async () => {
  sb = makeSandbox("hm-dash-");
  store = openStore(join(sb.meterHome, "db.sqlite"));
  writer = createCaptureWriter(store);
  const now = Date.now();
  // Three weeks of traffic, busier on weekdays and for the first projects.
  for (let h = 21 * 24; h > 0; h--) {
    const weekday = new Date(now - h * HOUR).getDay() % 6 !== 0;
    const n = (weekday ? 3 : 1) + ((h * 7) % 3);
    for (let k = 0; k < n; k++) writer.enqueue(traffic(now - h * HOUR + k * 60_000, PROJECTS[(h + k * k) % (1 + (k % PROJECTS.length))]!, h + k));
  }
  writer.flush();
  server = serveApi(store, now);
  ({ context, page, problems } = await openBrowser(join(sb.root, "chromium-profile")));
}, 60_000);

afterAll(async () => {
  await context?.close();
  server?.stop(true);
  writer?.close();
  store?.close();
  await sb?.cleanup();
});

test("loads, shows the captured traffic, follows new requests live, and is screenshotted", async () => {
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.waitForSelector("#recent tbody tr[data-id]");
  expect(await page.locator("#recent tbody tr[data-id]").count()).toBe(25);
  await waitFor(async () => (await page.locator("#projects tbody tr[data-project]").count()) > 0, "top projects");
  expect(await page.locator("#projects tbody tr[data-project]").first().getAttribute("data-project")).toBe("checkout-api");
  expect(await page.locator("#models tbody tr[data-model]").count()).toBe(4);
  expect(await page.locator("#chart rect.bar").count()).toBeGreaterThan(20);
  expect((await page.textContent("#k-requests"))?.replace(/,/g, "")).toMatch(/^\d+$/);
  expect(await page.textContent("#k-cost")).toMatch(/^\$[\d,]+\.\d\d$/);
  expect(await page.getAttribute("#live", "data-state")).toBe("live");

  const before = Number((await page.textContent("#k-requests"))!.replace(/,/g, ""));
  const now = Date.now();
  for (let i = 0; i < 6; i++) writer.enqueue(traffic(now + i, "live-demo", 100 + i));
  writer.flush();
  await page.waitForSelector('#recent tbody tr.fresh:has-text("live-demo")', { timeout: 15_000 });
  await waitFor(async () => Number((await page.textContent("#k-requests"))!.replace(/,/g, "")) === before + 6, "totals to follow the new rows", 15_000);
  expect(await page.locator('#recent tbody tr:has-text("live-demo")').count()).toBe(6);

  const file = screenshotPath("dashboard.png");
  await page.screenshot({ path: file, fullPage: true });
  expect(existsSync(file)).toBe(true);
  expect(readFileSync(file).subarray(1, 4).toString()).toBe("PNG");
  expect(problems).toEqual([]);
}, 60_000);
