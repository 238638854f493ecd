// fetch() for the CLI's calls to our own API. Bun's fetch honours HTTP_PROXY even for 127.0.0.1,
// and a user's shell may point it at our edge (or at a stale port): node:http never reads it.

import { request } from "node:http";

export function loopbackFetch(input: string, init: RequestInit = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const url = new URL(input);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const req = request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: init.method ?? "GET", headers, signal: init.signal ?? undefined }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => {
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out.set(name, Array.isArray(value) ? value.join(", ") : value);
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 502, headers: out }));
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
