// One chaos request from Bun's fetch through the edge (`proxy`), trusting the test CA and the
// meter's CA (one bundle), on a new connection; its Outcome. The Bun client driver loops on it;
// the scenario sends a few of its own while the daemon hangs.

import { connectThrough } from "../harness/client.ts";
import { body, complete, HOST, type Kind, kindOf, type LoadArgs, now, type Outcome, urlFor } from "./_load.ts";

export async function bunRequest(a: Pick<LoadArgs, "edgePort" | "sseEvents" | "sseGapMs">, ca: string, client: string, id: string, kind: Kind = kindOf(0)): Promise<Outcome> {
  const start = now();
  let via: string | null = null;
  try {
    const r = await fetch(urlFor(kind, a), {
      method: "POST",
      proxy: `http://127.0.0.1:${a.edgePort}`,
      tls: { ca },
      keepalive: false,
      headers: { "user-agent": `chaos/${id}`, "x-chaos-id": id, "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "sk-ant-chaos" },
      body: body(id),
    });
    via = r.headers.get("x-chaos-via");
    const text = await r.text();
    const ok = r.status === 200 && r.headers.get("x-chaos-id") === id && complete(kind, id, text, a.sseEvents);
    return { id, client, kind, start, end: now(), ok, via, ...(ok ? {} : { error: `status ${r.status}, ${text.length} bytes` }) };
  } catch (err) {
    return { id, client, kind, start, end: now(), ok: false, via, error: (err as Error).message };
  }
}

/** Through the edge to a metered host: CONNECT, half a ClientHello, then gone (an interrupted client). */
export async function abandonHandshake(edgePort: number): Promise<void> {
  const c = await connectThrough(edgePort, `${HOST}:443`);
  // A ClientHello record header and the start of its body: 64 bytes of a 512-byte hello.
  c.write(Buffer.concat([Buffer.from("1603010200010001fc0303", "hex"), Buffer.alloc(53, 7)]));
  c.close();
  await c.untilClosed(15_000);
}
