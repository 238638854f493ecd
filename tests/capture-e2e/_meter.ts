// A sandbox with the edge, the daemon and one fake provider answering for all six provider hosts
// ([upstream] resolve points each at it, ca_file trusts its test CA). Shared by the capture and
// real-client suites.

import { Database } from "bun:sqlite";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type FakeProvider, makeTestCerts, PROVIDER_HOSTS, type Script, startFakeProvider, type TestCerts } from "../harness/fake-provider.ts";
import { BUN, canConnect, makeSandbox, portsToml, repoRoot, type Sandbox, waitFor } from "../harness/sandbox.ts";

export type Row = Record<string, string | number | null>;

export interface MeterEnv {
  sb: Sandbox;
  certs: TestCerts;
  fake: FakeProvider;
  ourCaPath: string;
  ourCaPem: string;
  proxyUrl: string;
  rows(): Row[];
  /** Stored bodies joined to their request rows. */
  bodies(): Array<{ exchange_id: string; path: string; request_body: string | null; response_body: string | null; request_bytes: number; response_bytes: number }>;
  waitRow(pred: (r: Row) => boolean, what: string): Promise<Row>;
  /** Runs a process to its end in the sandbox's env (plus `env`), tracked for cleanup. */
  run(argv: string[], opts?: { env?: Record<string, string>; cwd?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export interface MeterOptions {
  script: Script;
  /** Extra config.toml sections, e.g. "[capture]\nbody_capture = true". */
  toml?: string;
}

function configToml(sb: Sandbox, caPath: string, fakePort: number, extra: string): string {
  const resolve = PROVIDER_HOSTS.map((h) => `"${h}" = "127.0.0.1:${fakePort}"`).join("\n");
  return `${portsToml(sb.ports)}${extra}\n[upstream]\nca_file = "${caPath}"\n[upstream.resolve]\n${resolve}\n`;
}

async function healthy(port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/health`);
    return r.ok;
  } catch {
    return false;
  }
}

function query<T>(dbPath: string, sql: string): T[] {
  if (!existsSync(dbPath)) return [];
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.query(sql).all() as T[];
  } catch {
    return []; // the daemon has not created the tables yet
  } finally {
    db.close();
  }
}

export async function startMeter(opts: MeterOptions): Promise<MeterEnv> {
  const sb = makeSandbox("hm-capture-");
  let fake: FakeProvider | null = null;
  try {
    const certs = await makeTestCerts(sb.root);
    fake = startFakeProvider({ cert: certs.cert, key: certs.key, script: opts.script });
    sb.writeConfig(configToml(sb, certs.caPath, fake.port, opts.toml ?? ""));
    sb.spawn([BUN, join(repoRoot, "cmd/halton-meter.ts"), "daemon"]);
    sb.spawn([BUN, join(repoRoot, "cmd/edge.ts")]);
    await waitFor(() => healthy(sb.ports.api), "daemon /health", 20_000);
    await waitFor(() => canConnect(sb.ports.edge), "edge port", 20_000);
    const ourCaPath = join(sb.meterHome, "ca.pem");
    const dbPath = join(sb.meterHome, "db.sqlite");
    const rows = () => query<Row>(dbPath, "SELECT * FROM requests ORDER BY id");
    const started = fake;
    return {
      sb,
      certs,
      fake,
      ourCaPath,
      ourCaPem: readFileSync(ourCaPath, "utf8"),
      proxyUrl: `http://127.0.0.1:${sb.ports.edge}`,
      rows,
      bodies: () =>
        query(dbPath, "SELECT r.exchange_id, r.path, b.request_body, b.response_body, b.request_bytes, b.response_bytes FROM bodies b JOIN requests r ON r.id = b.request_id ORDER BY r.id"),
      waitRow: (pred, what) => waitFor(() => rows().find(pred), what),
      async run(argv, o = {}) {
        const p = sb.spawn(argv, { env: o.env, cwd: o.cwd });
        const [stdout, stderr, code] = await Promise.all([new Response(p.stdout as ReadableStream).text(), new Response(p.stderr as ReadableStream).text(), p.exited]);
        return { code, stdout, stderr };
      },
      async stop() {
        started.stop();
        await sb.cleanup();
      },
    };
  } catch (err) {
    fake?.stop();
    await sb.cleanup();
    throw err;
  }
}

/** A row's token columns in the shape adapters and fixtures speak. */
export function rowTokens(r: Row) {
  return {
    input: r.input_tokens,
    output: r.output_tokens,
    cacheRead: r.cache_read_tokens,
    cacheWrite5m: r.cache_write_5m_tokens,
    cacheWrite1h: r.cache_write_1h_tokens,
    reasoning: r.reasoning_tokens,
  };
}
