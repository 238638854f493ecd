// Doctor's vocabulary: named checks that each return one finding with a next action, the named
// safe repairs some findings offer, and the verdict all findings add up to.

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

/** The repairs `doctor --fix --apply` may make: safe, idempotent, never touching user data. */
export type RepairId = "fix-ca-permissions" | "rewrite-trust-bundle" | "rewrite-rc-block" | "rewrite-effective-ports" | "start-daemon" | "start-edge" | "rebuild-rollup";

export interface Repair {
  id: RepairId;
  /** What it will do, in words: "rewrite ~/.halton-meter/trust-bundle.pem (system roots + our CA + marker)". */
  does: string;
}

export interface Finding {
  /** The check's name: "trust-bundle", "port:api"... */
  name: string;
  status: CheckStatus;
  /** What was seen. */
  detail: string;
  /** One concrete next action; null when there is nothing to do. Lines after the first are shown as they are (config lines to paste). */
  hint: string | null;
  repair?: Repair;
}

export type Verdict = "HEALTHY" | "INCONSISTENT" | "BROKEN";

/** Any failure breaks the meter; a warning means parts disagree (it may work, not everywhere). */
export function verdictOf(findings: readonly Finding[]): Verdict {
  if (findings.some((f) => f.status === "fail")) return "BROKEN";
  if (findings.some((f) => f.status === "warn")) return "INCONSISTENT";
  return "HEALTHY";
}

/** The exit code says the verdict: 0 healthy, 1 inconsistent, 2 broken. */
export const VERDICT_EXIT: Record<Verdict, number> = { HEALTHY: 0, INCONSISTENT: 1, BROKEN: 2 };

export const finding = (name: string, status: CheckStatus, detail: string, hint: string | null = null, repair?: Repair): Finding => ({
  name,
  status,
  detail,
  hint,
  ...(repair && { repair }),
});
