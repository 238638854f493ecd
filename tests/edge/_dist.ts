// The compiled executables in dist/ (`make build`), for the suites that must test what ships:
// a source run (`bun cmd/edge.ts`) would not catch what the compiler drops or changes.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { DIST } from "../harness/edge-process.ts";
import type { Sandbox } from "../harness/sandbox.ts";

export const EDGE_BIN = join(DIST, "halton-meter-edge");
export const METER_BIN = join(DIST, "halton-meter");

for (const bin of [EDGE_BIN, METER_BIN]) if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`make build\` first`);

/** Runs `halton-meter ...args` (compiled) in the sandbox to its end. */
export async function meter(sb: Sandbox, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = sb.spawn([METER_BIN, ...args], { env: { HALTON_METER_SUPERVISOR: "fallback" } });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout as ReadableStream).text(), new Response(p.stderr as ReadableStream).text(), p.exited]);
  return { code, stdout, stderr };
}
