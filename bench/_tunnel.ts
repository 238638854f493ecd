// Raw TCP through a tunnel, no TLS: what the edge does when it does not decrypt.
//   new-connection cost: connect (and CONNECT through the proxy) -> first byte echoed back
//   bulk: bytes a source sends after the client's first byte, downloaded through the path
// Paths are interleaved (one of each, then again) so that drift hits every path alike.

import { median, p99 } from "./_stats.ts";

export interface TunnelPath {
  name: string;
  /** The proxy's port; absent = straight to the target. */
  proxy?: number;
}

export interface ConnectRow {
  path: string;
  p50_ms: number;
  p99_ms: number;
}

export interface BulkRow {
  path: string;
  mb_s: number;
  runs: number[];
}

/**
 * One connection: connect (to the proxy, then CONNECT to `target`), send `first`, and feed
 * `onData` the byte counts the target sends back until it returns true. Resolves with the ms
 * from the connect call to that moment.
 */
function session(path: TunnelPath, target: number, first: string, onData: (n: number) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let established = path.proxy === undefined;
    let head = "";
    let done = false;
    Bun.connect({
      hostname: "127.0.0.1",
      port: path.proxy ?? target,
      socket: {
        open(s) {
          s.setNoDelay(true);
          s.write(established ? first : `CONNECT 127.0.0.1:${target} HTTP/1.1\r\nHost: 127.0.0.1:${target}\r\n\r\n`);
        },
        data(s, d) {
          if (done) return;
          let n = d.length;
          if (!established) {
            head += d.toString("latin1");
            const end = head.indexOf("\r\n\r\n");
            if (end < 0) return;
            if (!/^HTTP\/1\.[01] 200/.test(head)) return reject(new Error(`${path.name}: CONNECT refused: ${head.split("\r\n")[0]}`));
            established = true;
            n = head.length - end - 4;
            s.write(first);
            if (n === 0) return;
          }
          if (!onData(n)) return;
          done = true;
          const ms = performance.now() - t0;
          s.end();
          resolve(ms);
        },
        close() {
          if (!done) reject(new Error(`${path.name}: closed early`));
        },
        connectError: (_s, e) => reject(e),
        error: (_s, e) => reject(e),
      },
    }).catch(reject);
  });
}

export async function measureConnect(paths: TunnelPath[], echoPort: number, n: number, warmup: number): Promise<ConnectRow[]> {
  const samples = paths.map(() => [] as number[]);
  for (let i = 0; i < warmup; i++) for (const p of paths) await session(p, echoPort, "x", () => true);
  for (let i = 0; i < n; i++) for (const [k, p] of paths.entries()) samples[k]!.push(await session(p, echoPort, "x", () => true));
  return paths.map((p, k) => ({ path: p.name, p50_ms: median(samples[k]!), p99_ms: p99(samples[k]!) }));
}

export async function measureBulk(paths: TunnelPath[], sourcePort: number, bytes: number, runs: number): Promise<BulkRow[]> {
  const mbs = paths.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    const order = r % 2 ? [...paths.keys()].reverse() : [...paths.keys()];
    for (const k of order) {
      let got = 0;
      const ms = await session(paths[k]!, sourcePort, "g", (n) => (got += n) >= bytes);
      mbs[k]!.push(bytes / 1e6 / (ms / 1000));
    }
  }
  return paths.map((p, k) => ({ path: p.name, mb_s: median(mbs[k]!), runs: mbs[k]! }));
}
