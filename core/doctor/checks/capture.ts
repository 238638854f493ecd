// The daemon's capture writer, from its /health counters: rows waiting for a store that refuses
// writes (a full disk, most often), and rows lost beyond [capture] queue_max_rows meanwhile.

import type { DoctorContext } from "../context.ts";
import { finding, type Finding } from "../types.ts";

const rows = (n: number) => `${n} row${n === 1 ? "" : "s"}`;

export async function checkCapture(ctx: DoctorContext): Promise<Finding> {
  const health = await ctx.daemonHealth();
  if (!health?.ok) return finding("capture", "skip", "the daemon is not answering");
  const c = health.value.capture;
  if (!c) return finding("capture", "skip", "this daemon does not report its capture writer (an older build)");
  const said: string[] = [];
  const hints: string[] = [];
  if (c.last_error !== null) {
    said.push(`${rows(c.queued)} waiting to be written (disk full?): ${c.last_error}`);
    hints.push(`free space on the disk that holds ${ctx.paths.db} (\`df -h ${ctx.paths.home}\`); the daemon writes the waiting rows by itself`);
  }
  if (c.dropped > 0) {
    said.push(`${rows(c.dropped)} dropped since start`);
    hints.push(`rows beyond [capture] queue_max_rows (${ctx.config.capture.queue_max_rows}) are dropped while the store cannot be written; raise it in ${ctx.paths.config} to hold more, \`grep capture. ${ctx.paths.daemonLog}\` says when`);
  }
  if (said.length === 0) return finding("capture", "ok", `${rows(c.committed)} written since the daemon started, none dropped`);
  return finding("capture", "warn", said.join("; "), hints.join("; "));
}
