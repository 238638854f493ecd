// SSE through each path on a warm keep-alive connection: time to the first body byte, and the
// lag of every event (the fake provider stamps each one with the time it writes it; the client
// reads the same clock, `performance.timeOrigin + performance.now()`, when the event arrives).

import { HttpsConn, messagesRequest } from "./_https.ts";
import type { NamedRoute } from "./_requests.ts";
import { median, p99 } from "./_stats.ts";

export interface SseRow {
  path: string;
  ttfb_p50_ms: number;
  ttfb_p99_ms: number;
  event_lag_p50_ms: number;
  event_lag_p99_ms: number;
  /** Every stamped event arrived. */
  complete: boolean;
  /** Exchanges this path carried (warm-up included). */
  requests: number;
}

export interface SseOptions {
  host: string;
  streams: number;
  events: number;
  gapMs: number;
  warmup: number;
}

const STAMP = /t=([\d.]+);/g;

export async function measureSse(routes: NamedRoute[], o: SseOptions): Promise<SseRow[]> {
  const conns = await Promise.all(routes.map((r) => HttpsConn.open(r.route)));
  // Warm-up: a daemon runs for days, so its SSE code is measured once the JIT has compiled it.
  const quick = messagesRequest(o.host, "?sse=3&gap=0");
  for (let i = 0; i < o.warmup; i++) for (const c of conns) await c.request(quick);
  const req = messagesRequest(o.host, `?sse=${o.events}&gap=${o.gapMs}`);
  const ttfb: number[][] = routes.map(() => []);
  const lag: number[][] = routes.map(() => []);
  const seen: number[] = routes.map(() => 0);
  // Streams alternate between the paths so that a noisy moment hits all of them alike.
  for (let s = 0; s < o.streams; s++) {
    for (const [i, c] of conns.entries()) {
      let pending = "";
      const a = await c.request(req, (payload) => {
        const now = performance.timeOrigin + performance.now();
        pending += Buffer.from(payload).toString("latin1");
        let end = 0;
        for (const m of pending.matchAll(STAMP)) {
          lag[i]!.push(now - Number(m[1]));
          seen[i]!++;
          end = m.index + m[0].length;
        }
        // Keep what may be the start of a stamp split across reads; nothing more.
        pending = pending.slice(end).slice(-64);
      });
      if (a.status !== 200) throw new Error(`${routes[i]!.name}: SSE status ${a.status}`);
      ttfb[i]!.push(a.firstBodyAt - a.sentAt);
    }
  }
  for (const c of conns) c.close();
  return routes.map((r, i) => ({
    path: r.name,
    ttfb_p50_ms: median(ttfb[i]!),
    ttfb_p99_ms: p99(ttfb[i]!),
    event_lag_p50_ms: median(lag[i]!),
    event_lag_p99_ms: p99(lag[i]!),
    complete: seen[i] === o.streams * o.events,
    requests: o.warmup + o.streams,
  }));
}
