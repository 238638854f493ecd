import { describe, expect, test } from "bun:test";
import { attributeProject, parseHaltonrc, type ProcessView } from "../../core/attribution/project.ts";

// The project chain, tier by tier, over an in-memory view of one calling process.

function view(opts: { env?: Record<string, string>; cwd?: string | null; files?: Record<string, string>; dirs?: string[] }): ProcessView {
  return {
    environ: () => opts.env ?? {},
    cwd: () => (opts.cwd === undefined ? "/home/ana/work/api/src" : opts.cwd),
    readFile: (p) => opts.files?.[p] ?? null,
    exists: (p) => (opts.dirs ?? []).includes(p),
  };
}

describe("attributeProject", () => {
  const git = { dirs: ["/home/ana/work/api/.git"] };

  test("proxy credentials from `halton-meter run --project` win over everything", () => {
    const a = attributeProject(7, view({ env: { HALTON_PROJECT: "env-proj" }, ...git }), { proxyProject: "billing", defaultProject: "d" });
    expect(a).toEqual({ project: "billing", source: "proxy-auth" });
  });

  test("then HALTON_PROJECT in the caller's environment", () => {
    expect(attributeProject(7, view({ env: { HALTON_PROJECT: "env-proj" }, ...git }), {})).toEqual({ project: "env-proj", source: "env" });
  });

  test("then the nearest .haltonrc walking up from the caller's cwd", () => {
    const files = { "/home/ana/work/.haltonrc": 'project = "outer"', "/home/ana/work/api/.haltonrc": "# team file\nproject = inner\n" };
    expect(attributeProject(7, view({ files, ...git }), {})).toEqual({ project: "inner", source: "haltonrc" });
  });

  test("then the git root's name, then the cwd's name, then [tagging] default_project", () => {
    expect(attributeProject(7, view(git), {})).toEqual({ project: "api", source: "git" });
    expect(attributeProject(7, view({}), {})).toEqual({ project: "src", source: "cwd" });
    expect(attributeProject(7, view({ cwd: null }), { defaultProject: "misc" })).toEqual({ project: "misc", source: "default" });
    expect(attributeProject(null, view({}), {})).toEqual({ project: null, source: null });
  });

  test("a .haltonrc's body_capture applies whichever tier named the project", () => {
    const files = { "/home/ana/work/api/.haltonrc": "body_capture = on" };
    expect(attributeProject(7, view({ files, env: { HALTON_PROJECT: "x" } }), {})).toEqual({ project: "x", source: "env", bodyCapture: true });
    expect(attributeProject(7, view({ files }), { proxyProject: "p" })).toEqual({ project: "p", source: "proxy-auth", bodyCapture: true });
    expect(attributeProject(7, view({ files, ...git }), {})).toEqual({ project: "api", source: "git", bodyCapture: true });
  });

  test("a nearer .haltonrc without body_capture lets a farther one decide it", () => {
    const files = { "/home/ana/work/api/.haltonrc": 'project = "api"', "/home/ana/.haltonrc": "body_capture = off" };
    expect(attributeProject(7, view({ files }), {})).toEqual({ project: "api", source: "haltonrc", bodyCapture: false });
  });
});

describe("parseHaltonrc", () => {
  test("reads project and body_capture, ignores comments and junk", () => {
    expect(parseHaltonrc('# comment\nproject = "web app"  # trailing\nbody_capture = yes\nnonsense line\n')).toEqual({ project: "web app", bodyCapture: true });
    expect(parseHaltonrc("body_capture = off")).toEqual({ bodyCapture: false });
    expect(parseHaltonrc("project = \n")).toEqual({});
    expect(parseHaltonrc("\u0000\u00ff garbage = = =")).toEqual({});
  });
});
