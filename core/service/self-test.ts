// The post-install self-test: the whole path a metered request takes, within one budget.
//   health     the daemon's API answers /health
//   intercept  a canary CONNECTed through the edge is answered by the daemon under our CA
//   store      the canary's row is in db.sqlite
// Each step is retried every `intervalMs` until the budget runs out: processes just started
// need a moment, and the edge trusts its last health verdict for up to a second.

import { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { SELF_TEST_PROVIDER } from "../usage/types.ts";
import { selfTestExchangeId } from "../mitm/self-test.ts";
import type { Ports } from "../ports/allocate.ts";
import { sendCanary } from "./canary.ts";
import { fetchHealth } from "./health.ts";

/** The edge's unhealthy TTL (200 ms) plus its probe timeout (50 ms), with room to spare. */
const EDGE_VERDICT_MS = 300;

export type SelfTestStepName = "health" | "intercept" | "store";

export interface SelfTestStep {
  name: SelfTestStepName;
  ok: boolean;
  detail: string;
}

export interface SelfTestResult {
  ok: boolean;
  steps: SelfTestStep[];
  ms: number;
}

export interface SelfTestOptions {
  ports: Ports;
  caPem: string;
  dbPath: string;
  /** An intercepted host; the canary never leaves the daemon, whatever the host. */
  host?: string;
  budgetMs?: number;
  intervalMs?: number;
  /** Asked between attempts: a reason to give up early (a process that exited for good). */
  abortReason?: () => Promise<string | null>;
}

/** The canary's row, or null when it is not (yet) committed. */
export function findCanaryRow(dbPath: string, nonce: string): { provider: string; endpoint: string; client: string } | null {
  if (!existsSync(dbPath)) return null;
  let db: Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true });
    return db.query("SELECT provider, endpoint, client FROM requests WHERE exchange_id = ?").get(selfTestExchangeId(nonce)) as { provider: string; endpoint: string; client: string } | null;
  } catch {
    return null;
  } finally {
    db?.close();
  }
}

export async function runSelfTest(opts: SelfTestOptions): Promise<SelfTestResult> {
  const started = Date.now();
  const deadline = started + (opts.budgetMs ?? 30_000);
  const interval = opts.intervalMs ?? 500;
  const host = opts.host ?? "api.anthropic.com";
  const steps = new Map<SelfTestStepName, SelfTestStep>();
  const set = (name: SelfTestStepName, ok: boolean, detail: string) => steps.set(name, { name, ok, detail });
  const result = (ok: boolean): SelfTestResult => ({ ok, steps: [...steps.values()], ms: Date.now() - started });

  let nonce: string | null = null;
  let settled = false;
  for (;;) {
    const health = await fetchHealth(opts.ports.api);
    set("health", health.ok, health.ok ? `daemon pid ${health.answer.pid ?? "?"} answers on 127.0.0.1:${opts.ports.api}` : health.why);
    if (health.ok && !settled) {
      // The edge may still trust an "unhealthy" verdict from before the daemon was up, and would
      // tunnel the canary to the real host: let that verdict expire first.
      settled = true;
      await Bun.sleep(EDGE_VERDICT_MS);
    }
    if (health.ok) {
      nonce = randomBytes(12).toString("base64url");
      const left = Math.max(1, deadline - Date.now());
      const canary = await sendCanary({ edgePort: opts.ports.edge, host, caPem: opts.caPem, nonce, timeoutMs: Math.min(left, 5000) });
      set("intercept", canary.ok, canary.ok ? `CONNECT ${host}:443 via the edge on 127.0.0.1:${opts.ports.edge}, answered by the daemon under our CA` : canary.why);
      if (canary.ok) break;
    }
    const abort = await opts.abortReason?.();
    if (abort) {
      set(health.ok ? "intercept" : "health", false, abort);
      return result(false);
    }
    if (Date.now() + interval > deadline) return result(false);
    await Bun.sleep(interval);
  }

  for (;;) {
    const row = findCanaryRow(opts.dbPath, nonce);
    if (row) {
      const ok = row.provider === SELF_TEST_PROVIDER;
      set("store", ok, ok ? `canary row stored in ${opts.dbPath}` : `the canary row has provider ${row.provider}`);
      return result(ok);
    }
    if (Date.now() + 50 > deadline) {
      set("store", false, `the canary's row never reached ${opts.dbPath} (see capture.store_error in daemon.log)`);
      return result(false);
    }
    await Bun.sleep(50);
  }
}
