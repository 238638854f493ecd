// Disk full loses nothing, end to end (issue 13.7): the daemon and the edge run on a real tmpfs of
// their own (a private mount namespace: `unshare -m` for the daemon, `nsenter` into it for the
// edge), a filler file takes the last byte, requests go on through the edge, the filler goes, and
// every row queued meanwhile and every row after is stored. Clients keep opening fresh connections
// while the backlog is written. A request the edge passes by (a daemon busy past the chain
// deadline: the edge failing open, as it must) is answered but not metered, so the count is per
// route: every request answered, every one the daemon metered stored, later ones included. That
// the writer no longer holds the loop for the whole backlog (it did, for a second and more, and
// every request in that second went raw) is pinned in tests/store/disk-full.test.ts.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmdirSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EDGE_SOURCE } from "../harness/edge-process.ts";
import { anthropicBody } from "../harness/fake-provider.ts";
import { type MeterEnv, METER_SOURCE, startMeter, STARTUP_HOOK_MS } from "../harness/meter.ts";
import { waitFor } from "../harness/sandbox.ts";
import { MSG_BODY } from "./_env.ts";

const which = (cmd: string) => Bun.spawnSync(["sh", "-c", `command -v ${cmd}`]).exitCode === 0;

/** Root, and a kernel that grants it mount namespaces (a container may not): a small real disk. */
function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0 || !["unshare", "nsenter", "curl"].every(which)) return false;
  const dir = mkdtempSync(join(tmpdir(), "hm-mount-probe-"));
  try {
    return Bun.spawnSync(["unshare", "-m", "--propagation", "private", "mount", "-t", "tmpfs", "-o", "size=1m", "hm-probe", dir]).exitCode === 0;
  } finally {
    rmdirSync(dir);
  }
}
const canMount = canMountTmpfs();

/** Requests queued while the disk is full; with 40 KB bodies, writing them in one go held the loop over a second. */
const QUEUED = 2000;
/** Connections the queued requests arrive on (keep-alive: QUEUED / CONNECTIONS each). */
const CONNECTIONS = 16;
const BODY = "b".repeat(40_000);

let env: MeterEnv;

beforeAll(async () => {
  if (!canMount) return;
  const body = anthropicBody({ input: 10, output: 1 }).replace("hello from fake", BODY);
  const answer = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  env = await startMeter({ prefix: "hm-diskfull-", fake: { script: (_req, c) => c.write(answer) }, hosts: ["api.anthropic.com"], toml: "[capture]\nbody_capture = true\n", daemon: false, edge: false });
  // The config is copied aside, the home is mounted over, and the config copied back; unshare
  // and sh exec, so the pid is the daemon's, and its end takes the namespace and the tmpfs along.
  const aside = join(env.sb.root, "config.toml");
  const mountThenRun = `cp "$HALTON_METER_HOME/config.toml" "$0" && mount -t tmpfs -o size=256m,mode=0700 hm-diskfull "$HALTON_METER_HOME" && cp "$0" "$HALTON_METER_HOME/config.toml" && exec "$@"`;
  // Paths in the daemon's mount namespace are seen through /proc (plain files only: SQLite resolves the link).
  const daemon = await env.startDaemon({ argv: ["unshare", "-m", "--propagation", "private", "sh", "-c", mountThenRun, aside, ...METER_SOURCE, "daemon"], homeSeenAs: (pid) => `/proc/${pid}/root${env.sb.meterHome}` });
  await env.startEdge({ argv: ["nsenter", "-t", String(daemon.pid), "-m", ...EDGE_SOURCE] });
}, STARTUP_HOOK_MS);
afterAll(() => env?.stop());

/** Whether the daemon has stored `n` rows, asked through its own API: ids count up from 1 with no gaps here. */
async function stored(n: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${env.sb.ports.api}/v1/requests?after=${n - 1}&limit=1`);
  return ((await res.json()) as { rows: unknown[] }).rows.length > 0;
}

/** `n` requests through the edge (or `port`) on one curl (one keep-alive connection); the status of each. */
async function curl(n: number, port = env.sb.ports.edge): Promise<string[]> {
  const one = ["--cacert", env.ourCaPath, "-x", `http://127.0.0.1:${port}`, "-o", "/dev/null", "-w", "%{http_code}\\n", "-H", "content-type: application/json", "-d", MSG_BODY, "https://api.anthropic.com/v1/messages"];
  const argv = ["curl", "-sS", "--max-time", "20", ...one];
  for (let i = 1; i < n; i++) argv.push("--next", ...one);
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  const codes = out.trim().split("\n").filter(Boolean);
  return codes.length === n ? codes : [...codes, ...new Array(n - codes.length).fill(`curl: ${err.trim()}`)];
}

/** Writes a file until the tmpfs refuses another byte. */
function fillDisk(file: string): void {
  const fd = openSync(file, "w");
  try {
    for (const size of [1 << 20, 4096, 1]) {
      try {
        for (;;) writeSync(fd, Buffer.alloc(size));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

test("a full disk: proxying holds, and every queued row and every later row is stored", async () => {
  // Like the systemd suite, this needs root and mount namespaces (`unshare -m`): a real small disk.
  expect({ canMountTmpfs: canMount }).toEqual({ canMountTmpfs: true });
  // The first exchange warms the daemon up (workers, leaf), straight to it: the edge would not wait.
  expect(await curl(1, env.sb.ports.internal)).toEqual(["200"]);
  await waitFor(() => stored(1), "the first row");

  fillDisk(env.path("filler"));
  const during = (await Promise.all(Array.from({ length: CONNECTIONS }, () => curl(QUEUED / CONNECTIONS)))).flat();
  expect(during.filter((c) => c !== "200")).toEqual([]);
  expect(await stored(2)).toBe(false);
  // The edge's word is per connection: chained (its requests metered) or passed by (answered raw).
  const lines = () => (existsSync(env.path("edge.log")) ? readFileSync(env.path("edge.log"), "utf8") : "").split("\n");
  const chained = () => lines().filter((l) => l.includes('"edge.chained"')).length;
  const passedBy = () => lines().filter((l) => l.includes('"edge.passthrough"')).length;
  await waitFor(() => chained() + passedBy() === CONNECTIONS, "the edge's word on each connection");
  const chainedWhileFull = chained();
  expect(chainedWhileFull).toBeGreaterThan(0);
  const queued = 1 + chainedWhileFull * (QUEUED / CONNECTIONS);

  // Fresh connections all through the catch-up: each one is chained to the daemon only if it answers.
  let caughtUp = false;
  let stop = false;
  const after: string[] = [];
  const clients = Array.from({ length: 8 }, async () => {
    // Each keeps going until the backlog is stored, then makes five more requests.
    for (let extra = 0; !stop && extra < 5; ) {
      after.push(...(await curl(1)));
      if (caughtUp) extra++;
    }
  });
  rmSync(env.path("filler"));
  try {
    await waitFor(async () => (caughtUp = await stored(queued)), "the queued rows", 60_000);
  } finally {
    stop = !caughtUp;
    await Promise.all(clients);
  }

  expect(after.filter((c) => c !== "200")).toEqual([]);
  await waitFor(() => chained() + passedBy() === CONNECTIONS + after.length, "the edge's word on every later connection");
  const chainedAfter = chained() - chainedWhileFull;
  expect(chainedAfter).toBeGreaterThan(0);
  await waitFor(() => stored(queued + chainedAfter), `${queued + chainedAfter} rows (every metered request)`, 60_000);
  expect(await stored(queued + chainedAfter + 1)).toBe(false);
}, 180_000);
