// Files that belong to the user, not the meter: a dotfiles-managed ~/.bashrc (a symlink) and one
// with bytes that are not UTF-8 must come back from init + uninstall exactly as they were; and
// `uninstall --purge --include-logs` must not delete a folder holding files the meter never made.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyRcBlock, RC_BEGIN, rcEnv, removeRcBlock, renderRcBlock } from "../../core/service/rc-block.ts";
import { cli, expectRefusal, hashTree, makeSandbox, meterHome, type Sandbox } from "./_cli.ts";

let sb: Sandbox;

beforeAll(() => {
  sb = makeSandbox("hm-badinput-user-");
});
afterAll(() => sb.cleanup());

// "café" in Latin-1 and a stray 0xff: valid in a shell script, invalid as UTF-8.
const LATIN1 = Buffer.concat([Buffer.from("# caf"), Buffer.from([0xe9]), Buffer.from(" \xff\nalias ll='ls -l'\n", "latin1")]);
// A path with a non-ASCII name lands in the block itself: it must be written as UTF-8.
const block = renderRcBlock(rcEnv(18081, { SSL_CERT_FILE: "/home/josé/.halton-meter/trust-bundle.pem" }));

test("a symlinked rc file is written through the link, which stays a link", () => {
  const home = join(sb.root, "dotfiles-home");
  const repo = join(sb.root, "dotfiles-repo");
  mkdirSync(home, { recursive: true });
  mkdirSync(repo, { recursive: true });
  writeFileSync(join(repo, "bashrc"), "export EDITOR=vi\n");
  symlinkSync(join(repo, "bashrc"), join(home, ".bashrc"));

  expect(applyRcBlock([join(home, ".bashrc")], block)).toEqual([join(home, ".bashrc")]);
  expect(lstatSync(join(home, ".bashrc")).isSymbolicLink()).toBe(true);
  expect(readlinkSync(join(home, ".bashrc"))).toBe(join(repo, "bashrc"));
  expect(readFileSync(join(repo, "bashrc"), "utf8")).toContain(RC_BEGIN);

  removeRcBlock([join(home, ".bashrc")]);
  expect(lstatSync(join(home, ".bashrc")).isSymbolicLink()).toBe(true);
  expect(readFileSync(join(repo, "bashrc"), "utf8")).toBe("export EDITOR=vi\n");
});

test("bytes that are not UTF-8 outside the block survive init and uninstall exactly", () => {
  const rc = join(sb.root, "latin1-home", ".bashrc");
  mkdirSync(join(sb.root, "latin1-home"), { recursive: true });
  writeFileSync(rc, LATIN1);

  applyRcBlock([rc], block);
  const withBlock = readFileSync(rc);
  expect(withBlock.subarray(0, LATIN1.length).equals(LATIN1)).toBe(true);
  expect(withBlock.toString("utf8")).toContain("/home/josé/.halton-meter/trust-bundle.pem");

  removeRcBlock([rc]);
  expect(readFileSync(rc).equals(LATIN1)).toBe(true);
});

test("uninstall --purge --include-logs refuses a folder holding files the meter did not make, and changes nothing", async () => {
  // HALTON_METER_HOME pointed at a project folder by mistake.
  const home = meterHome(sb, "project");
  writeFileSync(join(home, "notes.md"), "my notes");
  mkdirSync(join(home, "src"));
  writeFileSync(join(home, "src", "main.ts"), "export {};\n");
  writeFileSync(join(home, "config.toml"), "[tagging]\ndefault_project = \"x\"\n");
  const before = hashTree(home);

  const r = await cli(sb, home, ["uninstall", "--purge", "--include-logs", "--yes"]);
  expectRefusal(r, 1, /holds files Halton Meter did not create \(.*notes\.md.*\); nothing was changed\n\s+hint: check HALTON_METER_HOME/);
  expect(r.stderr).toContain("src");
  expect(hashTree(home)).toEqual(before);
});

test("a folder holding only the meter's own files (rotated logs, WAL, temp files) is still deleted", async () => {
  const home = meterHome(sb, "ours");
  for (const f of ["db.sqlite", "db.sqlite-wal", "daemon.log", "daemon.log.1", "edge.err.log", "ca.pem", ".trust-bundle.pem.0123456789ab.tmp"]) writeFileSync(join(home, f), "x");
  writeFileSync(join(home, "config.toml"), "");
  mkdirSync(join(home, "post-mortems"));
  const r = await cli(sb, home, ["uninstall", "--purge", "--include-logs", "--yes"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(existsSync(home)).toBe(false);
});
