// One chaos request from Bun's fetch through the edge (`proxy`), trusting the test CA and the
// meter's CA (one bundle), on a new connection; its Outcome. The Bun client driver loops on it;
// the scenario sends a few of its own while the daemon hangs.

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
export function abandonHandshake(edgePort: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let head = "";
    Bun.connect({
      hostname: "127.0.0.1",
      port: edgePort,
      socket: {
        open: (s) => void s.write(`CONNECT ${HOST}:443 HTTP/1.1\r\nHost: ${HOST}:443\r\n\r\n`),
        data(s, d) {
          head += d.toString("latin1");
          if (!head.includes("\r\n\r\n")) return;
          // A ClientHello record header and the start of its body: 64 bytes of a 512-byte hello.
          s.write(Buffer.concat([Buffer.from("1603010200010001fc0303", "hex"), Buffer.alloc(53, 7)]));
          s.end();
        },
        close: () => resolve(),
        connectError: (_s, e) => reject(e),
      },
    }).catch(reject);
  });
}
