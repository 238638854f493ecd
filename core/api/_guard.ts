// The API answers only requests a local user made on purpose: addressed to our own loopback
// host:port (a rebound DNS name is refused), from no other web origin (Origin and Sec-Fetch-Site),
// and only to read. No CORS header is ever sent, so other sites' scripts cannot read an answer.

import type { MiddlewareHandler } from "hono";

const LOCAL_NAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

export type Refusal = { status: 403 | 405; error: string; detail: string } | null;

export function refusal(req: { method: string; header(name: string): string | undefined }, port: number): Refusal {
  const host = (req.header("host") ?? "").toLowerCase();
  const name = host.replace(/:\d+$/, "");
  const hostPort = host.match(/:(\d+)$/)?.[1];
  if (!LOCAL_NAMES.has(name) || (hostPort !== undefined && Number(hostPort) !== port)) {
    return { status: 403, error: "forbidden host", detail: "the Halton Meter API answers only requests addressed to 127.0.0.1" };
  }
  const origin = req.header("origin");
  if (origin !== undefined && !LOCAL_NAMES.has(originHost(origin, port))) {
    return { status: 403, error: "forbidden origin", detail: "the Halton Meter API does not answer other web sites" };
  }
  const site = req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    return { status: 403, error: "forbidden origin", detail: "the Halton Meter API does not answer other web sites" };
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    return { status: 405, error: "method not allowed", detail: "the Halton Meter API is read-only: use GET" };
  }
  return null;
}

/** The host name of an Origin that is exactly ours (http, our port); "" for anything else. */
function originHost(origin: string, port: number): string {
  try {
    const u = new URL(origin);
    return u.protocol === "http:" && Number(u.port) === port && u.pathname === "/" ? u.hostname.toLowerCase() : "";
  } catch {
    return "";
  }
}

export const SECURITY_HEADERS: Record<string, string> = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

export function localOnly(port: () => number, version: string): MiddlewareHandler {
  return async function localOnly(c, next) {
    const refused = refusal(c.req, port());
    if (refused) {
      const res = c.json({ error: refused.error, detail: refused.detail }, refused.status);
      res.headers.set("X-Halton-Meter-Api", version);
      return res;
    }
    await next();
    c.header("X-Halton-Meter-Api", version);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
  };
}
