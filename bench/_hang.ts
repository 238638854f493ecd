// A hung daemon (SIGSTOP: its ports still accept, nothing answers) under the edge: what the first
// new request to a metered host pays, against the same request with the daemon answering. Each
// sample: the daemon resumes, the edge sees it healthy (one chained request), the daemon stops,
// and one new request is timed from connect to the "200 Connection Established" it gets back.

import { METERED_HOST } from "./_env.ts";
import { healthy, until } from "./_procs.ts";
import { median } from "./_stats.ts";

export interface HangRow {
  /** Connect to 200 with the daemon answering (chained), median ms. */
  healthy_p50_ms: number;
  /** The first request after each stop: median and worst, ms. */
  hung_first_p50_ms: number;
  hung_first_max_ms: number;
  samples: number;
}

function connectTo200(edgePort: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let head = "";
    Bun.connect({
      hostname: "127.0.0.1",
      port: edgePort,
      socket: {
        open: (s) => void s.write(`CONNECT ${METERED_HOST}:443 HTTP/1.1\r\nHost: ${METERED_HOST}:443\r\n\r\n`),
        data(s, d) {
          head += d.toString("latin1");
          if (!head.includes("\r\n\r\n")) return;
          const ms = performance.now() - t0;
          if (/^HTTP\/1\.1 200/.test(head)) resolve(ms);
          else reject(new Error(`CONNECT answered ${head.split("\r\n")[0]}`));
          s.end();
        },
        close: () => reject(new Error("closed before the CONNECT answer")),
        connectError: (_s, e) => reject(e),
      },
    }).catch(reject);
  });
}

export async function measureHang(daemonPid: number, ports: { edge: number; api: number }, samples: number): Promise<HangRow> {
  const ok: number[] = [];
  const hung: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      process.kill(daemonPid, "SIGCONT");
      await until(() => healthy(ports.api), "the daemon to answer again");
      // A healthy verdict lasts 1 s: wait it out so that this request probes, finds the daemon
      // healthy and chains; the cache then says "healthy" when the daemon stops.
      await Bun.sleep(1100);
      ok.push(await connectTo200(ports.edge));
      process.kill(daemonPid, "SIGSTOP");
      hung.push(await connectTo200(ports.edge));
    }
  } finally {
    process.kill(daemonPid, "SIGCONT");
  }
  // Leave the meter as found: the daemon answering and the edge's "unhealthy" (200 ms) expired.
  await until(() => healthy(ports.api), "the daemon to answer again");
  await Bun.sleep(300);
  return { healthy_p50_ms: median(ok), hung_first_p50_ms: median(hung), hung_first_max_ms: Math.max(...hung), samples };
}
