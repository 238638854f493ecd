// The capture and real-client suites' meter: tests/harness/meter.ts with one fake provider behind
// all six provider hosts, plus the stored bodies and a row's tokens in the adapters' shape.

import { PROVIDER_HOSTS, type Script } from "../harness/fake-provider.ts";
import { type MeterEnv, type Row, startMeter } from "../harness/meter.ts";

export type { Row };

export interface StoredBody {
  exchange_id: string;
  path: string;
  request_body: string | null;
  response_body: string | null;
  request_bytes: number;
  response_bytes: number;
}

export interface CaptureEnv extends MeterEnv {
  /** Stored bodies joined to their request rows. */
  bodies(): StoredBody[];
}

/** `toml`: extra config.toml sections, e.g. "[capture]\nbody_capture = true". */
export async function startCapture(opts: { script: Script; toml?: string }): Promise<CaptureEnv> {
  const env = await startMeter({ prefix: "hm-capture-", fake: { script: opts.script }, hosts: PROVIDER_HOSTS, toml: opts.toml });
  const bodies = () => env.query<StoredBody>("SELECT r.exchange_id, r.path, b.request_body, b.response_body, b.request_bytes, b.response_bytes FROM bodies b JOIN requests r ON r.id = b.request_id ORDER BY r.id");
  return Object.assign(env, { bodies });
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
