import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PROVIDER_DOMAINS = ["anthropic.com", "openai.com", "chatgpt.com", "googleapis.com", "x.ai"];

/** A fresh temp dir; `cleanup()` removes every dir this module handed out. */
const made: string[] = [];
export function tempDir(prefix = "hm-tls-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
export function cleanupTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(argv: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  const p = Bun.spawn(argv, {
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...opts.env },
  });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

export const opensslText = async (certPath: string): Promise<string> =>
  (await run(["openssl", "x509", "-in", certPath, "-noout", "-text"])).stdout;
