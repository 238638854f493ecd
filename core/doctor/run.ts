// Every check, in the order a person reads them (seed 002's list); all run, all reported. A check
// that throws is a finding too: doctor itself never dies of what it diagnoses.

import type { DoctorContext } from "./context.ts";
import { checkCapture } from "./checks/capture.ts";
import { portCheck, checkEffectivePorts } from "./checks/ports.ts";
import { checkDaemon, checkEdge, checkSentinels, checkSupervisor, checkTlsBypass } from "./checks/services.ts";
import { checkRcBlock, checkShellEnv } from "./checks/shell.ts";
import { checkPriceData, checkUnpriced } from "./checks/pricing.ts";
import { checkStore, checkWal } from "./checks/store.ts";
import { checkCa, checkCaPermissions, checkConfig, checkTrustBundle } from "./checks/trust.ts";
import { finding, verdictOf, type Finding, type Verdict } from "./types.ts";

type Check = { name: string; run: (ctx: DoctorContext) => Finding | Promise<Finding> };

export const CHECKS: readonly Check[] = [
  { name: "config", run: checkConfig },
  { name: "install", run: checkSentinels },
  { name: "ca", run: checkCa },
  { name: "ca-permissions", run: checkCaPermissions },
  { name: "trust-bundle", run: checkTrustBundle },
  { name: "shell-env", run: checkShellEnv },
  { name: "rc-block", run: checkRcBlock },
  { name: "effective-ports", run: checkEffectivePorts },
  { name: "port:edge", run: portCheck("edge") },
  { name: "port:internal", run: portCheck("internal") },
  { name: "port:api", run: portCheck("api") },
  { name: "supervisor", run: checkSupervisor },
  { name: "daemon", run: checkDaemon },
  { name: "edge", run: checkEdge },
  { name: "tls-bypass", run: checkTlsBypass },
  { name: "store", run: checkStore },
  { name: "store-wal", run: checkWal },
  { name: "capture", run: checkCapture },
  { name: "price-data", run: checkPriceData },
  { name: "unpriced", run: checkUnpriced },
];

export interface DoctorReport {
  verdict: Verdict;
  findings: Finding[];
}

export async function runChecks(ctx: DoctorContext, checks: readonly Check[] = CHECKS): Promise<DoctorReport> {
  const findings: Finding[] = [];
  for (const check of checks) {
    try {
      findings.push(await check.run(ctx));
    } catch (err) {
      findings.push(finding(check.name, "fail", `the check itself failed: ${err instanceof Error ? err.message : String(err)}`, "this is a bug in halton-meter doctor; the other checks still ran"));
    }
  }
  return { verdict: verdictOf(findings), findings };
}
