// The shell rc block: rendered so a real shell reads back exactly our values, written once
// however often init runs, removed without touching a byte of the user's own lines.

import { afterAll, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { allRcFiles, applyRcBlock, hasRcBlock, RC_BEGIN, RC_END, rcEnv, rcFilesFor, removeRcBlock, renderRcBlock, withoutRcBlock, withRcBlock } from "../../core/service/rc-block.ts";
import { makeSandbox } from "../harness/sandbox.ts";

const sb = makeSandbox("hm-rc-");
afterAll(() => sb.cleanup());

const trust = { SSL_CERT_FILE: "/h/.halton-meter/trust-bundle.pem", NODE_EXTRA_CA_CERTS: "/h/.halton-meter/ca.pem" };
const block = renderRcBlock(rcEnv(8081, trust));
const count = (text: string, s: string) => text.split(s).length - 1;

test("the block exports the edge as HTTP(S) proxy in both cases, loopback direct, and the trust env", () => {
  const env = rcEnv(8181, trust);
  expect(env).toMatchObject({ HTTPS_PROXY: "http://127.0.0.1:8181", https_proxy: "http://127.0.0.1:8181", HTTP_PROXY: "http://127.0.0.1:8181", http_proxy: "http://127.0.0.1:8181", NO_PROXY: "localhost,127.0.0.1,::1", ...trust });
  expect(block.startsWith(`${RC_BEGIN}\n`)).toBe(true);
  expect(block.endsWith(`${RC_END}\n`)).toBe(true);
});

test("bash and zsh-compatible quoting: a real shell reads back every value byte for byte", async () => {
  const odd = { A: "it's $HOME `x` \"q\" \\ ; echo pwned", B: "/path with spaces/ca.pem" };
  const file = join(sb.root, "quoting.sh");
  writeFileSync(file, renderRcBlock(odd));
  const p = Bun.spawn(["bash", "-c", `. ${file}; printf '%s\\n%s' "$A" "$B"`], { stdout: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  expect(await new Response(p.stdout).text()).toBe(`${odd.A}\n${odd.B}`);
  expect(() => renderRcBlock({ "BAD-NAME": "x" })).toThrow();
});

test("written into user text once, however many times; an old block is replaced in place", () => {
  const user = "# my aliases\nalias ll='ls -l'\n";
  const once = withRcBlock(user, block);
  expect(withRcBlock(once, block)).toBe(once);
  expect(count(once, RC_BEGIN)).toBe(1);
  const moved = withRcBlock(`${once}export AFTER=1\n`, renderRcBlock(rcEnv(9999, trust)));
  expect(count(moved, RC_BEGIN)).toBe(1);
  expect(moved).toContain("127.0.0.1:9999");
  expect(moved).not.toContain("127.0.0.1:8081");
  expect(moved.endsWith("export AFTER=1\n")).toBe(true);
  expect(moved.startsWith(user)).toBe(true);
});

test("removal gives back the user's file exactly, with or without a trailing newline", () => {
  for (const user of ["", "# mine\n", "# mine", "a\n\n\nb\n"]) expect(withoutRcBlock(withRcBlock(user, block))).toBe(user === "# mine" ? "# mine\n" : user);
  const middle = `top\n${block}bottom\n`;
  expect(withoutRcBlock(middle)).toBe("top\nbottom\n");
});

test("two stray blocks collapse into one; a block whose end marker was deleted loses only its exports", () => {
  const twice = `${block}mine\n${block}`;
  expect(count(withRcBlock(twice, block), RC_BEGIN)).toBe(1);
  expect(withRcBlock(twice, block)).toContain("mine\n");
  const broken = `keep1\n${RC_BEGIN}\nexport HTTPS_PROXY='http://127.0.0.1:8081'\nexport NO_PROXY='x'\nalias keep2=true\n`;
  expect(withoutRcBlock(broken)).toBe("keep1\nalias keep2=true\n");
});

test("files: existing .bashrc/.zshrc plus the login shell's own; permissions kept; removal cleans both", () => {
  const home = join(sb.root, "home-files");
  mkdirSync(home);
  expect(rcFilesFor(home, "/bin/bash")).toEqual([join(home, ".bashrc")]);
  expect(rcFilesFor(home, "/usr/bin/zsh")).toEqual([join(home, ".zshrc")]);
  expect(rcFilesFor(home, undefined)).toEqual([join(home, ".bashrc")]);
  writeFileSync(join(home, ".zshrc"), "setopt nobeep\n");
  chmodSync(join(home, ".zshrc"), 0o600);
  const files = rcFilesFor(home, "/bin/bash");
  expect(files).toEqual([join(home, ".bashrc"), join(home, ".zshrc")]);
  expect(applyRcBlock(files, block)).toEqual(files);
  expect(applyRcBlock(files, block)).toEqual([]);
  expect(statSync(join(home, ".zshrc")).mode & 0o777).toBe(0o600);
  expect(readFileSync(join(home, ".zshrc"), "utf8")).toBe(`setopt nobeep\n\n${block}`);
  expect(hasRcBlock(allRcFiles(home))).toBe(true);
  expect(removeRcBlock(allRcFiles(home)).sort()).toEqual(files.sort());
  expect(readFileSync(join(home, ".zshrc"), "utf8")).toBe("setopt nobeep\n");
  expect(readFileSync(join(home, ".bashrc"), "utf8")).toBe("");
  expect(hasRcBlock(allRcFiles(home))).toBe(false);
  expect(removeRcBlock(allRcFiles(home))).toEqual([]);
  expect(existsSync(join(home, ".profile"))).toBe(false);
});
