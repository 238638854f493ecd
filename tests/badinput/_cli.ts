// The CLI run from source as a user runs it, in a sandbox, with what every bad-input answer must
// look like: an exit code, an "error:" line, and never a stack trace or an "internal error".

import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, makeSandbox, repoRoot, type Sandbox } from "../harness/sandbox.ts";

export { makeSandbox, type Sandbox };

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the process had to be killed: it hung on input it should have refused. */
  hung: boolean;
}

/** A fresh meter folder inside the sandbox, for one case. */
export function meterHome(sb: Sandbox, name: string): string {
  const home = join(sb.root, name, ".halton-meter");
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return home;
}

/** Runs `halton-meter ...args`; a process still running after `hangAfterMs` is killed and reported as hung. */
export async function cli(sb: Sandbox, home: string, args: string[], env: Record<string, string> = {}, hangAfterMs = 20_000): Promise<CliResult> {
  const p = sb.spawn([BUN, join(repoRoot, "cmd/halton-meter.ts"), ...args], {
    env: { HALTON_METER_HOME: home, HOME: join(home, ".."), HALTON_METER_SUPERVISOR: "fallback", ...env },
  });
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    process.kill(p.pid, "SIGKILL");
  }, hangAfterMs);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout as ReadableStream).text(), new Response(p.stderr as ReadableStream).text(), p.exited]);
  clearTimeout(guard);
  return { code: hung ? null : code, stdout, stderr, hung };
}

/** The shape of every refusal: not hung, the expected exit code, one error line, no stack frames, no "internal error". */
export function expectRefusal(r: CliResult, code: number, message: RegExp): void {
  const out = r.stdout + r.stderr;
  if (r.hung) throw new Error(`hung instead of refusing; output so far:\n${out}`);
  if (/\n\s+at .*:\d+/.test(out) || /internal error/.test(out)) throw new Error(`a stack trace or internal error:\n${out}`);
  if (r.code !== code) throw new Error(`exit ${r.code}, expected ${code}:\n${out}`);
  if (!message.test(r.stderr)) throw new Error(`stderr does not match ${message}:\n${out}`);
}

/** SHA-256 of every regular file under dir, by relative path: to prove nothing was rewritten. */
export function hashTree(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isDirectory()) Object.assign(out, hashTree(path, `${prefix}${name}/`));
    else if (st.isFile()) out[`${prefix}${name}`] = createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  return out;
}
