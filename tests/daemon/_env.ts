// One sandbox with a fake provider, the daemon and the edge, for the daemon end-to-end suites.

import { Database } from "bun:sqlite";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { type FakeProvider, type Script, type TestCerts, makeTestCerts, startFakeProvider } from "../harness/fake-provider.ts";
import { BUN, type Sandbox, makeSandbox, portsToml, repoRoot, waitFor } from "../harness/sandbox.ts";

export interface DaemonEnv {
  sb: Sandbox;
  certs: TestCerts;
  fake: FakeProvider;
  daemon: Subprocess;
  edge: Subprocess | null;
  ourCaPath: string;
  ourCaPem: string;
  rows(): Array<Record<string, unknown>>;
  /** Waits until at least `n` rows (those matching `where`, if given) are committed; returns them. */
  waitRows(n: number, where?: (row: Record<string, unknown>) => boolean): Promise<Array<Record<string, unknown>>>;
  logEvents(): Array<Record<string, unknown>>;
  run(argv: string[], env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export function configText(sb: Sandbox, caPath: string, providerPort: number): string {
  return `${portsToml(sb.ports)}
[upstream]
ca_file = "${caPath}"
[upstream.resolve]
"api.anthropic.com" = "127.0.0.1:${providerPort}"
"api.openai.com" = "127.0.0.1:${providerPort}"
`;
}

export async function healthy(port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/health`);
    return r.ok && ((await r.json()) as { status?: string }).status === "ok";
  } catch {
    return false;
  }
}

export async function startDaemonEnv(opts: { script?: Script; edge?: boolean; rogueUpstream?: boolean } = {}): Promise<DaemonEnv> {
  const sb = makeSandbox("hm-daemon-");
  const certs = await makeTestCerts(sb.root);
  const fake = startFakeProvider(opts.rogueUpstream ? { cert: certs.rogueCert, key: certs.rogueKey, script: opts.script } : { cert: certs.cert, key: certs.key, script: opts.script });
  sb.writeConfig(configText(sb, certs.caPath, fake.port));
  const daemon = sb.spawn([BUN, join(repoRoot, "cmd/halton-meter.ts"), "daemon"]);
  const edge = opts.edge === false ? null : sb.spawn([BUN, join(repoRoot, "cmd/edge.ts")]);
  await waitFor(() => healthy(sb.ports.api), "daemon /health");
  const ourCaPath = join(sb.meterHome, "ca.pem");
  await waitFor(() => existsSync(ourCaPath), "ca.pem");
  const dbPath = join(sb.meterHome, "db.sqlite");
  const rows = (): Array<Record<string, unknown>> => {
    if (!existsSync(dbPath)) return [];
    const db = new Database(dbPath, { readonly: true });
    try {
      return db.query("SELECT * FROM requests ORDER BY rowid").all() as Array<Record<string, unknown>>;
    } catch {
      return [];
    } finally {
      db.close();
    }
  };
  const env: DaemonEnv = {
    sb,
    certs,
    fake,
    daemon,
    edge,
    ourCaPath,
    ourCaPem: readFileSync(ourCaPath, "utf8"),
    rows,
    waitRows: (n, where = () => true) =>
      waitFor(() => {
        const got = rows().filter(where);
        return got.length >= n ? got : null;
      }, `${n} rows`),
    logEvents: () => {
      const f = join(sb.meterHome, "daemon.log");
      if (!existsSync(f)) return [];
      return readFileSync(f, "utf8")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => {
          try {
            return JSON.parse(l);
          } catch {
            return { unparsed: l };
          }
        });
    },
    async run(argv, extra = {}) {
      const p = Bun.spawn(argv, { env: { ...sb.env, ...extra }, stdout: "pipe", stderr: "pipe", stdin: "ignore", cwd: sb.root });
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      return { code, stdout, stderr };
    },
    async stop() {
      fake.stop();
      await sb.cleanup();
    },
  };
  if (edge) await waitFor(() => edgeUp(sb.ports.edge), "edge port");
  return env;
}

async function edgeUp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    Bun.connect({ hostname: "127.0.0.1", port, socket: { open: (s) => (s.end(), resolve(true)), data() {}, connectError: () => resolve(false) } }).catch(() => resolve(false));
  });
}

/** The event name field of a log line, whatever the key is called. */
export function eventName(e: Record<string, unknown>): string {
  return String(e.event ?? e.evt ?? e.name ?? e.msg ?? "");
}

export const MSG_BODY = '{"model":"claude-sonnet-4-20250514","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}';
