// Which project a request belongs to. First tier that answers wins:
// proxy credentials (`halton-meter run --project`), HALTON_PROJECT in the caller's environment,
// a .haltonrc walking up from its cwd, the git root's name, the cwd's name, [tagging] default.
// The reads go through an injected interface so the chain is testable without /proc.

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

export function attributeProject(pid: number | null, view: ProcessView, fallback: { proxyProject?: string | null; defaultProject?: string }): Attribution {
  if (fallback.proxyProject) return { project: fallback.proxyProject, source: "proxy-auth" };
  if (pid !== null) {
    const env = view.environ(pid);
    if (env?.HALTON_PROJECT) return { project: env.HALTON_PROJECT, source: "env" };
    const cwd = view.cwd(pid);
    if (cwd) {
      let rcProject: string | undefined;
      let bodyCapture: boolean | undefined;
      let gitRoot: string | null = null;
      for (let dir = cwd; ; dir = dirname(dir)) {
        const rc = rcProject === undefined ? view.readFile(join(dir, ".haltonrc")) : null;
        if (rc !== null) {
          const parsed = parseHaltonrc(rc);
          rcProject ??= parsed.project;
          bodyCapture ??= parsed.bodyCapture;
        }
        if (gitRoot === null && view.exists(join(dir, ".git"))) gitRoot = dir;
        if (dir === dirname(dir)) break;
      }
      if (rcProject) return { project: rcProject, source: "haltonrc", bodyCapture };
      if (gitRoot) return { project: basename(gitRoot), source: "git", bodyCapture };
      if (basename(cwd)) return { project: basename(cwd), source: "cwd", bodyCapture };
    }
  }
  if (fallback.defaultProject) return { project: fallback.defaultProject, source: "default" };
  return { project: null, source: null };
}
