// Which project a request belongs to. First tier that answers wins:
// proxy credentials (`halton-meter run --project`), HALTON_PROJECT in the caller's environment,
// a .haltonrc walking up from its cwd, the git root's name, the cwd's name, [tagging] default.
// The reads go through an injected interface so the chain is testable without /proc; the
// choice itself is pure, so facts that arrive late or never can be left out.

import { basename, dirname, join } from "node:path";

export type ProjectSource = "proxy-auth" | "env" | "haltonrc" | "git" | "cwd" | "default";

export interface ProcessView {
  environ(pid: number): Record<string, string> | null;
  cwd(pid: number): string | null;
  readFile(path: string): string | null;
  exists(path: string): boolean;
}

export interface Attribution {
  project: string | null;
  source: ProjectSource | null;
  /** body_capture = on from a .haltonrc. */
  bodyCapture?: boolean;
}

/** `.haltonrc`: `project = "name"` and `body_capture = on` lines, `#` comments. */
export function parseHaltonrc(text: string): { project?: string; bodyCapture?: boolean } {
  const out: { project?: string; bodyCapture?: boolean } = {};
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    const m = /^([A-Za-z_]+)\s*=\s*"?([^"]*)"?$/.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === "project" && value.trim()) out.project = value.trim();
    if (key === "body_capture") out.bodyCapture = /^(on|true|yes|1)$/i.test(value.trim());
  }
  return out;
}

/** What the calling process says of itself: its HALTON_PROJECT and its working folder. */
export interface ProcessFacts {
  envProject: string | null;
  cwd: string | null;
}

/** What the caller's working folder and those above it say: the nearest .haltonrc's settings and the git root. */
export interface FolderFacts {
  rcProject?: string;
  bodyCapture?: boolean;
  gitRoot: string | null;
}

export function readProcess(pid: number, view: ProcessView): ProcessFacts {
  return { envProject: view.environ(pid)?.HALTON_PROJECT || null, cwd: view.cwd(pid) };
}

export function scanFolders(cwd: string, view: ProcessView): FolderFacts {
  let rcProject: string | undefined;
  let bodyCapture: boolean | undefined;
  let gitRoot: string | null = null;
  for (let dir = cwd; ; dir = dirname(dir)) {
    const rc = rcProject === undefined || bodyCapture === undefined ? view.readFile(join(dir, ".haltonrc")) : null;
    if (rc !== null) {
      const parsed = parseHaltonrc(rc);
      rcProject ??= parsed.project;
      bodyCapture ??= parsed.bodyCapture;
    }
    if (gitRoot === null && view.exists(join(dir, ".git"))) gitRoot = dir;
    if (dir === dirname(dir)) break;
  }
  return { rcProject, bodyCapture, gitRoot };
}

export interface Fallback {
  proxyProject?: string | null;
  defaultProject?: string;
}

/**
 * The project, by the first tier that answers. Facts that could not be read in time are null:
 * their tiers are passed over and the next one answers. A .haltonrc's `body_capture` applies
 * whichever tier named the project: `halton-meter run --project X` in a folder that asks for
 * bodies gets them.
 */
export function chooseProject(proc: ProcessFacts | null, folders: FolderFacts | null, fallback: Fallback): Attribution {
  const bodyCapture = folders?.bodyCapture;
  const found = (project: string, source: ProjectSource): Attribution => (bodyCapture === undefined ? { project, source } : { project, source, bodyCapture });
  if (fallback.proxyProject) return found(fallback.proxyProject, "proxy-auth");
  if (proc?.envProject) return found(proc.envProject, "env");
  if (folders?.rcProject) return found(folders.rcProject, "haltonrc");
  if (folders?.gitRoot) return found(basename(folders.gitRoot), "git");
  if (proc?.cwd && basename(proc.cwd)) return found(basename(proc.cwd), "cwd");
  if (fallback.defaultProject) return found(fallback.defaultProject, "default");
  return { project: null, source: null };
}

/** Every tier read on the calling thread (tests; the daemon reads in a worker: lookup.ts). */
export function attributeProject(pid: number | null, view: ProcessView, fallback: Fallback): Attribution {
  const proc = pid !== null ? readProcess(pid, view) : null;
  return chooseProject(proc, proc?.cwd ? scanFolders(proc.cwd, view) : null, fallback);
}
