// Chaos load from Node (undici's fetch with a ProxyAgent through the edge), a new agent and so
// a new connection per request. The same requests and judgement as tests/chaos/_load.ts,
// in plain JavaScript for Node. Prints one Outcome JSON line per request.
// Usage: node tests/chaos/_node-client.mjs <edgePort> <bundle.pem> <loops> <sseEvents> <sseGapMs>   (SIGTERM: finish and exit)

import { readFileSync } from "node:fs";
import { fetch, ProxyAgent } from "undici";

const [edgePort, bundle, loops, sseEvents, sseGapMs] = process.argv.slice(2);
const a = { sseEvents: Number(sseEvents), sseGapMs: Number(sseGapMs) };
let stopping = false;
process.on("SIGTERM", () => {
  stopping = true;
});
const ca = readFileSync(bundle, "utf8");
const now = () => performance.timeOrigin + performance.now();
const kindOf = (i) => (i % 7 === 6 ? "sse-reset" : i % 2 === 0 ? "json" : "sse");
const urlFor = (kind) =>
  kind === "json" ? "https://api.anthropic.com/v1/messages" : `https://api.anthropic.com/v1/messages?sse=${a.sseEvents}&gap=${a.sseGapMs}${kind === "sse-reset" ? "&reset=2" : ""}`;

function complete(kind, id, text) {
  if (kind === "json") {
    try {
      return JSON.parse(text).id === `msg_${id}`;
    } catch {
      return false;
    }
  }
  return text.includes(`"msg_${id}"`) && text.includes("event: message_stop") && (text.match(/event: content_block_delta/g)?.length ?? 0) === a.sseEvents;
}

async function one(id, i) {
  const kind = kindOf(i);
  const start = now();
  const agent = new ProxyAgent({ uri: `http://127.0.0.1:${edgePort}`, requestTls: { ca } });
  let via = null;
  try {
    const r = await fetch(urlFor(kind), {
      method: "POST",
      dispatcher: agent,
      headers: { "user-agent": `chaos/${id}`, "x-chaos-id": id, "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "sk-ant-chaos" },
      body: JSON.stringify({ model: "claude-sonnet-4-20250514", max_tokens: 16, stream: true, messages: [{ role: "user", content: id }] }),
    });
    via = r.headers.get("x-chaos-via");
    const text = await r.text();
    const ok = r.status === 200 && r.headers.get("x-chaos-id") === id && complete(kind, id, text);
    return { id, client: "node", kind, start, end: now(), ok, via, ...(ok ? {} : { error: `status ${r.status}, ${text.length} bytes` }) };
  } catch (err) {
    return { id, client: "node", kind, start, end: now(), ok: false, via, error: `${err.message}${err.cause ? `: ${err.cause.message}` : ""}` };
  } finally {
    await agent.close().catch(() => {});
  }
}

await Promise.all(
  Array.from({ length: Number(loops) }, async (_, loop) => {
    for (let i = 0; !stopping; i++) console.log(JSON.stringify(await one(`node-${loop}-${i}`, i)));
  }),
);
