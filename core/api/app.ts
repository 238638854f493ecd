// The loopback API (hono). Local only: a Host header that is not ours is refused (DNS
// rebinding), no CORS headers are ever sent, and every answer carries the API version.

import { Hono } from "hono";

export const API_VERSION = "1";

export interface ApiDeps {
  version: string;
  pid: number;
  startedAt: number;
  port: () => number;
  now?: () => number;
}

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function createApi(deps: ApiDeps): Hono {
  const now = deps.now ?? Date.now;
  const app = new Hono();
  app.use("*", async (c, next) => {
    const host = (c.req.header("host") ?? "").toLowerCase();
    const name = host.replace(/:\d+$/, "");
    const port = host.match(/:(\d+)$/)?.[1];
    if (!LOCAL_HOSTS.has(name) || (port !== undefined && Number(port) !== deps.port())) {
      return c.json({ error: "forbidden host", detail: "the Halton Meter API answers only requests addressed to 127.0.0.1" }, 403);
    }
    await next();
    c.header("X-Halton-Meter-Api", API_VERSION);
  });
  app.get("/health", (c) => c.json({ status: "ok", version: deps.version, pid: deps.pid, uptime_s: Math.round((now() - deps.startedAt) / 1000) }));
  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((err, c) => c.json({ error: "internal error", detail: err.message }, 500));
  return app;
}
