// One finished exchange becomes one store row: usage from the adapter, money from pricing,
// project and client from attribution.

import { clientFromUserAgent } from "../attribution/client.ts";
import type { Attribution } from "../attribution/project.ts";
import type { ExchangeRecord } from "../usage/types.ts";
import { priceUsage } from "../pricing/index.ts";
import type { PriceOverrides } from "../pricing/types.ts";
import { headerValue } from "../http/headers.ts";
import type { RequestRow } from "../store/rows.ts";
import { ZERO_TOKENS } from "../usage/types.ts";
import { accountFacts, sessionOf } from "./limits.ts";

/** What a row needs beyond its exchange: who sent it, local price overrides, the account salt. */
export interface RowContext {
  pid: number | null;
  attribution: Attribution;
  overrides: PriceOverrides;
  /** meta.account_salt: the key account fingerprints are made with. */
  accountSalt: string;
}

export function rowFor(rec: ExchangeRecord, ctx: RowContext): RequestRow {
  const { overrides } = ctx;
  const usage = rec.usage;
  const facts = accountFacts(rec, ctx.accountSalt);
  const ua = headerValue(rec.requestHeaders, "user-agent");
  let price: Pick<RequestRow, "costMicros" | "priceStatus" | "priceSource"> = { costMicros: null, priceStatus: "unmetered", priceSource: null };
  let note = [rec.error, usage?.note].filter(Boolean).join("; ") || null;
  if (usage?.metered) {
    const p = priceUsage({ provider: usage.provider, model: usage.model, tokens: usage.tokens, billing: usage.billing }, { overrides, now: new Date(rec.startedAt) });
    if (p.status === "priced") price = { costMicros: p.costMicros, priceStatus: "priced", priceSource: p.source };
    else {
      price = { costMicros: null, priceStatus: "unpriced", priceSource: p.source };
      note = [note, p.reason].filter(Boolean).join("; ");
    }
  }
  return {
    exchangeId: rec.exchangeId,
    startedAt: rec.startedAt,
    firstByteAt: rec.firstByteAt,
    endedAt: rec.endedAt,
    provider: usage?.provider ?? "unknown",
    host: rec.host,
    endpoint: usage?.endpoint ?? null,
    method: rec.method,
    path: rec.target.split("?")[0] ?? rec.target,
    model: usage?.model ?? null,
    status: rec.status,
    stream: usage?.stream ?? false,
    tokens: usage?.tokens ?? { ...ZERO_TOKENS },
    ...price,
    tokensComplete: usage ? usage.tokensComplete && rec.complete : false,
    metered: usage?.metered ?? false,
    latencyMs: rec.endedAt - rec.startedAt,
    ttfbMs: rec.firstByteAt === null ? null : rec.firstByteAt - rec.startedAt,
    project: ctx.attribution.project,
    projectSource: ctx.attribution.source,
    client: clientFromUserAgent(ua),
    pid: ctx.pid,
    userAgent: ua,
    errorType: usage?.errorType ?? null,
    note,
    rateLimits: rec.rateLimits ? JSON.stringify(rec.rateLimits) : null,
    account: facts?.account ?? null,
    session: sessionOf(rec),
    limits: facts?.limits ?? [],
    bodies: rec.bodies,
  };
}
