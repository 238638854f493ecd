// Small requests over keep-alive, the same client on every path: latency from one connection
// sending one request after another (rounds interleave the paths so drift hits all alike), and
// requests per second from several connections at once for a fixed time.

import { HttpsConn, messagesRequest, type Route } from "./_https.ts";
import { median, p99 } from "./_stats.ts";

export interface NamedRoute {
  name: string;
  route: Route;
}

export interface RequestRow {
  path: string;
  p50_ms: number;
  p99_ms: number;
  /** One connection, one request at a time. */
  rps_sequential: number;
  /** `connections` connections at once. */
  rps_concurrent: number;
  /** Requests this path carried in all (warm-up included). */
  requests: number;
}

export interface RequestOptions {
  host: string;
  rounds: number;
  perRound: number;
  warmup: number;
  connections: number;
  seconds: number;
}

export async function measureRequests(routes: NamedRoute[], o: RequestOptions): Promise<RequestRow[]> {
  const req = messagesRequest(o.host);
  const conns = await Promise.all(routes.map((r) => HttpsConn.open(r.route)));
  const lat: number[][] = routes.map(() => []);
  const busy: number[] = routes.map(() => 0);
  for (let i = 0; i < o.warmup; i++) for (const c of conns) await c.request(req);
  for (let round = 0; round < o.rounds; round++) {
    const order = round % 2 ? [...routes.keys()].reverse() : [...routes.keys()];
    for (const i of order) {
      const t0 = performance.now();
      for (let k = 0; k < o.perRound; k++) {
        const a = await conns[i]!.request(req);
        if (a.status !== 200) throw new Error(`${routes[i]!.name}: status ${a.status}`);
        lat[i]!.push(a.doneAt - a.sentAt);
      }
      busy[i]! += performance.now() - t0;
    }
  }
  for (const c of conns) c.close();
  const rows: RequestRow[] = [];
  for (const [i, r] of routes.entries()) {
    const rps = await concurrent(r.route, req, o.connections, o.seconds);
    const sequential = o.rounds * o.perRound;
    rows.push({ path: r.name, p50_ms: median(lat[i]!), p99_ms: p99(lat[i]!), rps_sequential: sequential / (busy[i]! / 1000), rps_concurrent: rps.rps, requests: o.warmup + sequential + rps.requests });
  }
  return rows;
}

/** `n` connections, each sending one request after another, for `seconds`. */
async function concurrent(route: Route, req: string, n: number, seconds: number): Promise<{ rps: number; requests: number }> {
  const conns = await Promise.all(Array.from({ length: n }, () => HttpsConn.open(route)));
  for (const c of conns) await c.request(req);
  let done = n;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    conns.map(async (c) => {
      while (performance.now() < end) {
        const a = await c.request(req);
        if (a.status !== 200) throw new Error(`status ${a.status}`);
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  for (const c of conns) c.close();
  return { rps: (done - n) / elapsed, requests: done };
}
