// What the dashboard tests share: the API over a real store on loopback, a real headless Chromium
// (Debian's, driven by playwright-core) that records every console error, page error, failed
// request and CSP violation as a problem, and the place screenshots are left for a person.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { type ApiDeps, createApi } from "../../core/api/app.ts";
import type { Store } from "../../core/store/index.ts";
import { freePort, repoRoot } from "../harness/sandbox.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface DashboardBrowser {
  context: BrowserContext;
  page: Page;
  /** Console errors (a CSP violation is one), page errors and failed requests, as they happen. */
  problems: string[];
}

/** The loopback API and dashboard over `store`; stop it with `server.stop(true)`. */
export function serveApi(store: Store, now = Date.now(), budgets?: ApiDeps["budgets"]): ReturnType<typeof Bun.serve> {
  const port = freePort();
  const app = createApi({ version: "test", pid: process.pid, startedAt: now, port: () => port, store, budgets });
  return Bun.serve({ hostname: "127.0.0.1", port, fetch: app.fetch });
}

/** A fresh Chromium profile in `profileDir`; close it with `context.close()`. */
export async function openBrowser(profileDir: string, viewport = { width: 1360, height: 1000 }): Promise<DashboardBrowser> {
  const context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  return { context, page, problems };
}

/** bench/results is git-ignored: the screenshots stay for a person to look at. */
export function screenshotPath(name: string): string {
  const dir = process.env.HM_DASHBOARD_SCREENSHOT_DIR ?? join(repoRoot, "bench", "results");
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
