import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../harness/sandbox.ts";

// The installer as users run it: `curl -fsSL URL/install.sh | sh` against a release folder that
// `make release` built, served over HTTP on loopback, into a throwaway HOME.

setDefaultTimeout(60_000);

const arch = process.arch === "arm64" ? "arm64" : "x64";
const target = `linux-${arch}`;
const pkg = (await Bun.file(join(repoRoot, "package.json")).json()) as { version: string };

let root: string;
let release: string;
let server: ReturnType<typeof Bun.serve>;
let baseUrl: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "hm-install-"));
  release = join(root, "release");
  const make = Bun.spawnSync(["make", "--no-print-directory", "release", `RELEASE_TARGETS=${target}`, `RELEASE_DIR=${release}`], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" });
  if (make.exitCode !== 0) throw new Error(`make release failed:\n${make.stderr.toString()}`);
  // Serves any folder under root: /release/... is the good release, /<other>/... a doctored one.
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = decodeURIComponent(new URL(req.url).pathname);
      const file = join(root, path);
      if (path.includes("..") || !existsSync(file) || statSync(file).isDirectory()) return new Response("not found", { status: 404 });
      return new Response(Bun.file(file));
    },
  });
  baseUrl = `http://127.0.0.1:${server.port}`;
});

afterAll(() => {
  server?.stop(true);
  if (root) rmSync(root, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
  home: string;
  bindir: string;
}

/** Runs a command to the end without blocking this process (the release server lives here). */
async function exec(argv: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

/** `curl URL/install.sh | sh -s -- ARGS` in a fresh HOME (or the given one). */
async function curlPipeSh(opts: { from?: string; args?: string[]; env?: Record<string, string>; home?: string; path?: string } = {}): Promise<Run> {
  const home = opts.home ?? mkdtempSync(join(root, "home-"));
  const from = opts.from ?? "release";
  const args = (opts.args ?? []).map((a) => `'${a}'`).join(" ");
  const r = await exec(["/bin/sh", "-c", `curl -fsSL ${baseUrl}/${from}/install.sh | sh -s -- ${args}`], {
    HOME: home,
    PATH: opts.path ?? "/usr/local/bin:/usr/bin:/bin",
    HALTON_METER_BASE_URL: `${baseUrl}/${from}`,
    HALTON_METER_HOME: join(home, ".halton-meter"),
    ...opts.env,
  });
  return { ...r, home, bindir: join(home, ".local", "bin") };
}

/** A copy of the good release with one file changed. */
function doctoredRelease(name: string, change: (dir: string) => void): string {
  const dir = join(root, name);
  cpSync(release, dir, { recursive: true });
  change(dir);
  return name;
}

/** A PATH folder holding links to the given programs only. */
function pathWith(programs: string[]): string {
  const dir = mkdtempSync(join(root, "path-"));
  for (const p of programs) {
    const real = Bun.which(p, { PATH: "/usr/local/bin:/usr/bin:/bin" });
    if (real) symlinkSync(real, join(dir, p));
  }
  return dir;
}

describe("install.sh from a release served over HTTP", () => {
  test("make release wrote the binaries, the installer and a checksum for each", async () => {
    const sums = readFileSync(join(release, "SHA256SUMS"), "utf8");
    for (const f of [`halton-meter-${target}`, `halton-meter-edge-${target}`, "install.sh"]) {
      expect(existsSync(join(release, f))).toBe(true);
      expect(sums).toMatch(new RegExp(`^[0-9a-f]{64}  ${f.replace(/\./g, "\\.")}$`, "m"));
    }
  });

  test("installs both executables into ~/.local/bin without root, and says how to reach them", async () => {
    const r = await curlPipeSh();
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    for (const b of ["halton-meter", "halton-meter-edge"]) {
      const st = statSync(join(r.bindir, b));
      expect(st.mode & 0o777).toBe(0o755);
      expect(readFileSync(join(r.bindir, b)).equals(readFileSync(join(release, `${b}-${target}`)))).toBe(true);
    }
    expect(r.out).toContain(`${r.bindir} is not on your PATH`);
    expect(r.out).toContain("halton-meter init");
    const version = Bun.spawnSync([join(r.bindir, "halton-meter"), "--version"], { stdout: "pipe" }).stdout.toString();
    expect(version).toMatch(new RegExp(`^halton-meter ${pkg.version.replace(/\./g, "\\.")} \\(commit [0-9a-f]{7,}, built \\d{4}-\\d\\d-\\d\\dT`));
    // No leftovers from the atomic rename.
    expect(Bun.spawnSync(["ls", "-A", r.bindir], { stdout: "pipe" }).stdout.toString().trim().split("\n").sort()).toEqual(["halton-meter", "halton-meter-edge"]);
  });

  test("PREFIX chooses the folder, and the PATH hint disappears when it is on PATH", async () => {
    const prefix = mkdtempSync(join(root, "prefix-"));
    const r = await curlPipeSh({ env: { PREFIX: prefix }, path: `${prefix}/bin:/usr/local/bin:/usr/bin:/bin` });
    expect(r.code).toBe(0);
    expect(existsSync(join(prefix, "bin", "halton-meter"))).toBe(true);
    expect(existsSync(r.bindir)).toBe(false);
    expect(r.out).not.toContain("is not on your PATH");
  });

  test("running it again is safe and leaves the same files", async () => {
    const first = await curlPipeSh();
    expect(first.code).toBe(0);
    const again = await curlPipeSh({ home: first.home });
    expect(again.code).toBe(0);
    expect(readFileSync(join(first.bindir, "halton-meter")).equals(readFileSync(join(release, `halton-meter-${target}`)))).toBe(true);
  });

  test("a binary that does not match SHA256SUMS is refused and nothing is installed", async () => {
    const from = doctoredRelease("tampered", (dir) => {
      const f = join(dir, `halton-meter-edge-${target}`);
      const bytes = readFileSync(f);
      const last = bytes.length - 1;
      bytes.writeUInt8(bytes.readUInt8(last) ^ 0xff, last);
      writeFileSync(f, bytes);
    });
    const r = await curlPipeSh({ from });
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`checksum mismatch for halton-meter-edge-${target}`);
    expect(r.err).toContain("refusing to install");
    expect(existsSync(join(r.bindir, "halton-meter"))).toBe(false);
    expect(existsSync(join(r.bindir, "halton-meter-edge"))).toBe(false);
  });

  test("a checksum file without this platform's entry is refused", async () => {
    const from = doctoredRelease("nosum", (dir) => writeFileSync(join(dir, "SHA256SUMS"), readFileSync(join(dir, "SHA256SUMS"), "utf8").split("\n").filter((l) => !l.includes(`halton-meter-${target}`)).join("\n")));
    const r = await curlPipeSh({ from });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`SHA256SUMS has no entry for halton-meter-${target}`);
  });

  test("a missing release file names the address it could not download", async () => {
    const r = await curlPipeSh({ env: { HALTON_METER_BASE_URL: `${baseUrl}/nowhere` } });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`could not download ${baseUrl}/nowhere/SHA256SUMS`);
  });
});

test("install.sh is POSIX sh: dash parses it and shellcheck finds nothing in sh mode", () => {
  const script = join(repoRoot, "install.sh");
  expect(Bun.spawnSync(["dash", "-n", script]).exitCode).toBe(0);
  const sc = Bun.spawnSync(["shellcheck", "-s", "sh", script], { stdout: "pipe" });
  expect(sc.stdout.toString()).toBe("");
  expect(sc.exitCode).toBe(0);
});

describe("install.sh refuses clearly what it cannot do", () => {
  const script = () => join(release, "install.sh");
  const run = async (env: Record<string, string>, args: string[] = []) => {
    const home = mkdtempSync(join(root, "home-"));
    return { ...(await exec(["/bin/sh", script(), ...args], { HOME: home, PATH: "/usr/bin:/bin", ...env })), home };
  };
  const fakeUname = (s: string, m: string): string => {
    const dir = mkdtempSync(join(root, "uname-"));
    writeFileSync(join(dir, "uname"), `#!/bin/sh\ncase "$1" in -s) echo ${s} ;; -m) echo ${m} ;; esac\n`);
    chmodSync(join(dir, "uname"), 0o755);
    return dir;
  };

  test("an unsupported operating system", async () => {
    const r = await run({ PATH: `${fakeUname("FreeBSD", "amd64")}:/usr/bin:/bin` });
    expect(r.code).toBe(1);
    expect(r.err).toContain("unsupported operating system: FreeBSD");
    expect(r.err).toContain("Linux and macOS");
  });

  test("an unsupported CPU", async () => {
    const r = await run({ PATH: `${fakeUname("Linux", "riscv64")}:/usr/bin:/bin` });
    expect(r.code).toBe(1);
    expect(r.err).toContain("unsupported CPU architecture: riscv64");
  });

  test("neither curl nor wget for an https release", async () => {
    const tools = ["uname", "dirname", "mkdir", "mktemp", "rm", "cp", "mv", "chmod", "awk", "cut", "sha256sum", "ls", "cat"];
    const r = await run({ PATH: pathWith(tools), HALTON_METER_BASE_URL: "https://releases.example/meter" });
    expect(r.code).toBe(1);
    expect(r.err).toContain("neither curl nor wget is installed");
  });

  test("an install folder that cannot be created", async () => {
    const file = join(root, "a-file");
    writeFileSync(file, "");
    const r = await run({ PREFIX: join(file, "sub") });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cannot create ${file}/sub/bin`);
    expect(r.err).toContain("PREFIX");
  });

  test("an unknown option", async () => {
    const r = await run({}, ["--frobnicate"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("unknown option: --frobnicate");
  });

  test("run from an unpacked release folder, it installs offline from that folder", async () => {
    const r = await run({});
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`from ${release}`);
    expect(existsSync(join(r.home, ".local", "bin", "halton-meter-edge"))).toBe(true);
  });

  test("wget works where curl is missing", async () => {
    const tools = ["uname", "dirname", "mkdir", "mktemp", "rm", "cp", "mv", "chmod", "awk", "cut", "sha256sum", "ls", "cat", "wget"];
    const r = await run({ PATH: pathWith(tools), HALTON_METER_BASE_URL: `${baseUrl}/release` });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(existsSync(join(r.home, ".local", "bin", "halton-meter"))).toBe(true);
  });
});
