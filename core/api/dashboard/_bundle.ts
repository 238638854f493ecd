// Build-time macros: `bun build --compile` (and `bun run`, on first use) call these and inline the
// strings they return, so the binary carries the dashboard and nothing is read or fetched at run time.

import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The dashboard's script: app.ts and the typed API client, bundled and minified for the browser. */
export function dashboardScript(): string {
  const entry = join(import.meta.dir, "app.ts");
  const built = Bun.spawnSync([process.execPath, "build", entry, "--target=browser", "--format=esm", "--minify"], { stdout: "pipe", stderr: "pipe" });
  if (built.exitCode !== 0) throw new Error(`bundling the dashboard failed: ${built.stderr.toString()}`);
  return built.stdout.toString();
}

/** A file next to this one, as text (index.html, dashboard.css). */
export function dashboardFile(name: string): string {
  return readFileSync(join(import.meta.dir, name), "utf8");
}
