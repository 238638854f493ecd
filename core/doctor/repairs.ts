// The named safe repairs behind `doctor --fix --apply`. Each is idempotent, keeps every byte of
// user data, and says what it did; a repair that fails is reported, the others still run.

import { chmodSync, readFileSync } from "node:fs";
import { chooseAndRecordPorts, readEffectivePorts } from "../ports/index.ts";
import { applyRcBlock, rcEnv, rcFilesFor, renderRcBlock } from "../service/rc-block.ts";
import { openStore, rebuildRollup } from "../store/index.ts";
import { envBlock, writeTrustBundle } from "../tls/index.ts";
import type { DoctorContext } from "./context.ts";
import type { Finding, RepairId } from "./types.ts";

export interface RepairOutcome {
  id: RepairId;
  ok: boolean;
  said: string;
}

const HEALTH_WAIT_MS = 15_000;

async function waitForHealth(ctx: DoctorContext, apiPort: number): Promise<boolean> {
  const deadline = Date.now() + HEALTH_WAIT_MS;
  while (Date.now() < deadline) {
    if ((await ctx.health(apiPort)).ok) return true;
    await Bun.sleep(250);
  }
  return false;
}

async function repair(ctx: DoctorContext, id: RepairId): Promise<string> {
  const { paths } = ctx;
  switch (id) {
    case "fix-ca-permissions":
      chmodSync(paths.caKey, 0o600);
      chmodSync(paths.home, 0o700);
      return `${paths.caKey} is 600, ${paths.home} is 700`;
    case "rewrite-trust-bundle": {
      const written = writeTrustBundle(paths.trustBundle, { caPem: readFileSync(paths.caCert, "utf8") });
      return `wrote ${written.path}: ${written.certCount} certificates (roots from ${written.source}), marker and our CA`;
    }
    case "rewrite-rc-block": {
      const ports = readEffectivePorts(paths.effectivePorts);
      if (!ports.ok) throw new Error(`${ports.message}: rewrite effective-ports first`);
      const files = rcFilesFor(ctx.userHome, ctx.shell);
      const changed = applyRcBlock(files, renderRcBlock(rcEnv(ports.ports.edge, envBlock({ bundlePath: paths.trustBundle, caPath: paths.caCert }))));
      return changed.length ? `wrote the block in ${changed.join(", ")} (new shells pick it up)` : "the block was already current";
    }
    case "rewrite-effective-ports": {
      const held = new Set<number>();
      const previous = readEffectivePorts(paths.effectivePorts);
      if (previous.ok) for (const name of ["edge", "internal", "api"] as const) if (ctx.listener(previous.ports[name])) held.add(previous.ports[name]);
      const chosen = chooseAndRecordPorts(paths.effectivePorts, ctx.config, held, ctx.runningEdge());
      if (!chosen.ok) throw new Error(chosen.message);
      return `wrote ${paths.effectivePorts}: edge ${chosen.ports.edge}, daemon ${chosen.ports.internal}, api ${chosen.ports.api}`;
    }
    case "start-daemon":
    case "start-edge": {
      if (!ctx.supervisor || ctx.supervisorError) throw new Error(`no supervisor to start it with${ctx.supervisorError ? `: ${ctx.supervisorError.reason}` : ""}`);
      const name = id === "start-daemon" ? "daemon" : "edge";
      await ctx.supervisor.start(name);
      const ports = readEffectivePorts(paths.effectivePorts);
      if (name === "daemon" && ports.ok && !(await waitForHealth(ctx, ports.ports.api))) throw new Error(`started, but /health did not answer within ${HEALTH_WAIT_MS / 1000} s: see ${paths.daemonLog}`);
      return `started the ${name} (${ctx.supervisor.kind})`;
    }
    case "rebuild-rollup": {
      const store = openStore(paths.db);
      try {
        return `rolled up ${rebuildRollup(store.db)} requests again`;
      } finally {
        store.close();
      }
    }
  }
}

/** Ports before the rc block that names the edge's port; the edge before the daemon. */
const ORDER: readonly RepairId[] = ["fix-ca-permissions", "rewrite-trust-bundle", "rewrite-effective-ports", "rewrite-rc-block", "start-edge", "start-daemon", "rebuild-rollup"];

/** The repairs the findings offer, each once, in a safe order. */
export function plannedRepairs(findings: readonly Finding[]): Array<NonNullable<Finding["repair"]>> {
  const offered = new Map(findings.flatMap((f) => (f.repair ? [[f.repair.id, f.repair] as const] : [])));
  return ORDER.filter((id) => offered.has(id)).map((id) => offered.get(id)!);
}

/** Runs the planned repairs; a failing one is reported and the rest still run. */
export async function applyRepairs(ctx: DoctorContext, findings: readonly Finding[]): Promise<RepairOutcome[]> {
  const ids = plannedRepairs(findings).map((r) => r.id);
  const out: RepairOutcome[] = [];
  for (const id of ids) {
    try {
      out.push({ id, ok: true, said: await repair(ctx, id) });
    } catch (err) {
      out.push({ id, ok: false, said: err instanceof Error ? err.message : String(err) });
    }
  }
  return out;
}
