// Chaos load from Bun's fetch through the edge (`proxy`), trusting the test CA and the meter's
// CA (one bundle), a new connection per request. Prints one Outcome JSON line per request.
// Usage: bun tests/chaos/_bun-client.ts <edgePort> <bundle.pem> <loops> <sseEvents> <sseGapMs>   (SIGTERM: finish and exit)

import { readFileSync } from "node:fs";
import { body, complete, kindOf, now, type Outcome, parseArgs, stopOnSigterm, urlFor } from "./_load.ts";

const a = parseArgs(process.argv.slice(2));
const stopping = stopOnSigterm();
const ca = readFileSync(a.bundle, "utf8");
const proxy = `http://127.0.0.1:${a.edgePort}`;

async function one(id: string, i: number): Promise<Outcome> {
  const kind = kindOf(i);
  const start = now();
  let via: string | null = null;
  try {
    const r = await fetch(urlFor(kind, a), {
      method: "POST",
      proxy,
      tls: { ca },
      keepalive: false,
      headers: { "user-agent": `chaos/${id}`, "x-chaos-id": id, "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "sk-ant-chaos" },
      body: body(id),
    });
    via = r.headers.get("x-chaos-via");
    const text = await r.text();
    const ok = r.status === 200 && r.headers.get("x-chaos-id") === id && complete(kind, id, text, a.sseEvents);
    return { id, client: "bun", kind, start, end: now(), ok, via, ...(ok ? {} : { error: `status ${r.status}, ${text.length} bytes` }) };
  } catch (err) {
    return { id, client: "bun", kind, start, end: now(), ok: false, via, error: (err as Error).message };
  }
}

await Promise.all(
  Array.from({ length: a.loops }, async (_, loop) => {
    for (let i = 0; !stopping(); i++) console.log(JSON.stringify(await one(`bun-${loop}-${i}`, i)));
  }),
);
