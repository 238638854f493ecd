// The dashboard's routes. Its files are loaded on the first visit, not when the daemon starts.

import { Hono } from "hono";

const FILES = {
  "/": { type: "text/html; charset=utf-8", pick: (a: Assets) => a.INDEX_HTML },
  "/assets/dashboard.css": { type: "text/css; charset=utf-8", pick: (a: Assets) => a.DASHBOARD_CSS },
  "/assets/dashboard.js": { type: "text/javascript; charset=utf-8", pick: (a: Assets) => a.DASHBOARD_JS },
} as const;

type Assets = typeof import("./dashboard/assets.ts");

export function dashboardRoutes(): Hono {
  const app = new Hono();
  for (const [path, file] of Object.entries(FILES)) {
    app.get(path, async (c) => c.body(file.pick(await import("./dashboard/assets.ts")), 200, { "Content-Type": file.type }));
  }
  return app;
}
