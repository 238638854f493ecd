import { expect, test } from "bun:test";
import { Glob } from "bun";
import { dirname, join, relative } from "node:path";
import { repoRoot } from "../harness/sandbox.ts";

// The layout's rules, checked on every import (type imports too: they are dependencies of the
// design even where they vanish at run time): core/ imports neither platform/ nor cmd/, and
// platform/ does not import cmd/ (cmd picks a platform; a platform never reaches back).

async function imports(): Promise<Array<{ from: string; to: string }>> {
  const out: Array<{ from: string; to: string }> = [];
  for await (const file of new Glob("{core,cmd,platform}/**/*.ts").scan({ cwd: repoRoot })) {
    const text = await Bun.file(join(repoRoot, file)).text();
    for (const m of text.matchAll(/^(?:import|export)\b[^"']*?\bfrom\s+["'](\.[^"']+)["']/gm)) out.push({ from: file, to: relative(repoRoot, join(repoRoot, dirname(file), m[1]!)) });
  }
  return out;
}

test("core imports no platform or cmd code, and platform imports no cmd code", async () => {
  const all = await imports();
  expect(all.length).toBeGreaterThan(300);
  const wrong = all.filter(({ from, to }) => (from.startsWith("core/") && /^(platform|cmd)\//.test(to)) || (from.startsWith("platform/") && to.startsWith("cmd/")));
  expect(wrong).toEqual([]);
});
