import { expect, test } from "bun:test";
import { Glob } from "bun";
import { dirname, join, relative } from "node:path";
import { repoRoot } from "../harness/sandbox.ts";

// The layout's rules, checked on every import (type imports too: they are dependencies of the
// design even where they vanish at run time): core/ imports neither platform/ nor cmd/, and
// platform/ does not import cmd/ (cmd picks a platform; a platform never reaches back), and no
// two folders of core/ depend on each other, directly or round a loop.

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

/** core/<folder> (files at core/'s top level count as one folder). */
const folderOf = (file: string) => {
  const [top, sub] = file.split("/");
  return top === "core" && sub && !sub.endsWith(".ts") ? `core/${sub}` : top === "core" ? "core/" : top!;
};

/** Groups of folders that import each other round a loop (Tarjan's strongly connected components). */
function loops(edges: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) visit(w);
      if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, low.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group = stack.splice(stack.indexOf(v));
    if (group.length > 1) out.push(group.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return out;
}

test("the folders of core/ form no loop of imports", async () => {
  const edges = new Map<string, Set<string>>();
  for (const { from, to } of await imports()) {
    const [a, b] = [folderOf(from), folderOf(to)];
    if (!a.startsWith("core/") || a === b) continue;
    edges.set(a, (edges.get(a) ?? new Set()).add(b));
  }
  expect(edges.size).toBeGreaterThan(15);
  expect(loops(edges)).toEqual([]);
  // The check itself finds a loop when there is one.
  expect(loops(new Map([["core/a", new Set(["core/b"])], ["core/b", new Set(["core/c"])], ["core/c", new Set(["core/a"])]]))).toEqual([["core/a", "core/b", "core/c"]]);
});
