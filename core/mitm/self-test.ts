// The lifecycle self-test's canary: a reserved path on any intercepted host that the daemon
// answers itself and never sends upstream. `init` uses it to prove client -> edge -> daemon ->
// our CA -> store end to end, without network access or a provider account.

import { SELF_TEST_PROVIDER, ZERO_TOKENS } from "../usage/types.ts";
import type { RequestRow } from "../store/rows.ts";
import type { ExchangeRecord } from "../usage/types.ts";

export const SELF_TEST_PATH = "/__halton-meter/self-test";

const NONCE = /^[A-Za-z0-9_-]{8,64}$/;

/** A request for the canary path, with its nonce (null when missing or malformed), or null. */
export function selfTestRequest(target: string): { nonce: string | null } | null {
  const q = target.indexOf("?");
  if ((q < 0 ? target : target.slice(0, q)) !== SELF_TEST_PATH) return null;
  const nonce = new URLSearchParams(q < 0 ? "" : target.slice(q + 1)).get("nonce");
  return { nonce: nonce !== null && NONCE.test(nonce) ? nonce : null };
}

export const selfTestExchangeId = (nonce: string): string => `self-test:${nonce}`;

/** The daemon's own answer: 200 echoing the nonce (GET only), else 400. Always closes. */
export function selfTestResponse(method: string, nonce: string | null): { status: number; bytes: Buffer } {
  const ok = method === "GET" && nonce !== null;
  const status = ok ? 200 : 400;
  const body = JSON.stringify(ok ? { ok: true, nonce } : { ok: false, error: "the self-test canary takes GET with ?nonce=[A-Za-z0-9_-]{8,64}" });
  const head = `HTTP/1.1 ${status} ${ok ? "OK" : "Bad Request"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nX-Halton-Meter: daemon\r\n\r\n`;
  return { status, bytes: Buffer.from(head + body) };
}

/** The store row of a canary exchange: unmetered, no cost, keyed by its nonce so it is found. */
export function selfTestRow(rec: ExchangeRecord): RequestRow {
  const nonce = selfTestRequest(rec.target)?.nonce ?? null;
  return {
    exchangeId: nonce !== null && rec.status === 200 ? selfTestExchangeId(nonce) : rec.exchangeId,
    startedAt: rec.startedAt,
    firstByteAt: rec.firstByteAt,
    endedAt: rec.endedAt,
    provider: SELF_TEST_PROVIDER,
    host: rec.host,
    endpoint: "self-test",
    method: rec.method,
    path: SELF_TEST_PATH,
    model: null,
    status: rec.status,
    stream: false,
    tokens: { ...ZERO_TOKENS },
    costMicros: null,
    priceStatus: "unmetered",
    tokensComplete: true,
    metered: false,
    latencyMs: rec.endedAt - rec.startedAt,
    ttfbMs: rec.firstByteAt === null ? null : rec.firstByteAt - rec.startedAt,
    project: null,
    client: SELF_TEST_PROVIDER,
    note: nonce === null ? "malformed self-test nonce" : null,
  };
}
