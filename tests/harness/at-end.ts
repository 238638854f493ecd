// What the whole test run leaves behind on purpose until it ends, removed then by the preload's
// afterAll (tests/_preload.ts): `bun test` never emits the process's "exit" event.

import { rmSync } from "node:fs";

const paths = new Set<string>();

/** Removes `path` (recursively) once every test file of this run has finished. */
export function removeAtEnd(path: string): void {
  paths.add(path);
}

export function removeAll(): void {
  for (const p of paths) rmSync(p, { recursive: true, force: true });
  paths.clear();
}
