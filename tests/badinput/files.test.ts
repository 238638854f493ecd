// State files that are not what they should be: a config that is a FIFO or a dangling symlink,
// a trust bundle or leaf key with a directory in the way, a damaged database. Each gets an
// error with a hint; nothing hangs, nothing reports an internal error, no user file changes.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { insertRows, openStore } from "../../core/store/index.ts";
import { freePort } from "../harness/sandbox.ts";
import { seedRows } from "../report/_seed.ts";
import { cli, expectRefusal, hashTree, makeSandbox, meterHome, type Sandbox } from "./_cli.ts";

let sb: Sandbox;
let damagedDb: Buffer;

beforeAll(() => {
  sb = makeSandbox("hm-badinput-files-");
  // A real database cut short: SQLite reports it as malformed.
  const path = join(sb.root, "whole.sqlite");
  const store = openStore(path);
  insertRows(store, seedRows(200));
  store.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  store.close();
  const whole = readFileSync(path);
  damagedDb = whole.subarray(0, Math.floor(whole.length / 2));
});
afterAll(() => sb.cleanup());

const pinnedPorts = () => `[daemon]\nedge_port = ${freePort()}\ninternal_port = ${freePort()}\napi_port = ${freePort()}\n`;

test("a config.toml that is a FIFO is refused instead of blocking every command", async () => {
  const home = meterHome(sb, "fifo");
  execFileSync("mkfifo", [join(home, "config.toml")]);
  for (const args of [["config"], ["report"]]) expectRefusal(await cli(sb, home, args), 1, /config\.toml: cannot be read \(not a regular file: a directory, FIFO or device\)\n\s+hint: fix /);
});

test("a config.toml symlink to a missing file is refused, not read as the defaults", async () => {
  const home = meterHome(sb, "dangling");
  symlinkSync(join(sb.root, "unmounted-dotfiles", "config.toml"), join(home, "config.toml"));
  const r = await cli(sb, home, ["config", "--json"]);
  expectRefusal(r, 1, /config\.toml: is a symbolic link to .*unmounted-dotfiles\/config\.toml, which does not exist/);
  expect(r.stdout).toBe("");
});

test("setup with a directory where the trust bundle goes: an error with a hint, not an internal error", async () => {
  const home = meterHome(sb, "bundle-dir");
  mkdirSync(join(home, "trust-bundle.pem"));
  writeFileSync(join(home, "trust-bundle.pem", "keep.txt"), "mine");
  const r = await cli(sb, home, ["setup"]);
  expectRefusal(r, 1, /error: cannot write the trust bundle .*trust-bundle\.pem.*\n\s+hint: /);
  expect(readFileSync(join(home, "trust-bundle.pem", "keep.txt"), "utf8")).toBe("mine");
});

test("the daemon with a directory where the leaf key goes: an error with a hint, not an internal error", async () => {
  const home = meterHome(sb, "leaf-dir");
  writeFileSync(join(home, "config.toml"), pinnedPorts());
  mkdirSync(join(home, "leaf-key.pem"));
  expectRefusal(await cli(sb, home, ["daemon"]), 1, /error: cannot write the leaf key .*leaf-key\.pem.*\n\s+hint: /);
});

test("a damaged db.sqlite: the daemon and bodies say what to do, and the file stays byte for byte", async () => {
  const home = meterHome(sb, "damaged");
  writeFileSync(join(home, "config.toml"), pinnedPorts());
  writeFileSync(join(home, "db.sqlite"), damagedDb);
  const before = hashTree(home);
  for (const args of [["daemon"], ["bodies", "stats"], ["bodies", "purge", "--vacuum"]]) {
    expectRefusal(await cli(sb, home, args), 1, /error: cannot open .*db\.sqlite: .*malformed.*\n\s+hint: move db\.sqlite aside/);
  }
  const after = hashTree(home);
  for (const name of ["db.sqlite", "config.toml"]) expect(after[name]).toBe(before[name]!);
});

test("a config.toml broken while the meter runs: stop and uninstall still work (with a warning), nothing is deleted", async () => {
  const home = meterHome(sb, "broken-while-running");
  writeFileSync(join(home, "config.toml"), pinnedPorts());
  const pidsOf = (): number[] => {
    try {
      return ["daemon", "edge"].map((n) => (JSON.parse(readFileSync(join(home, "run", `${n}.pid`), "utf8")) as { pid: number }).pid);
    } catch {
      return [];
    }
  };
  const alive = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("halton-meter") || readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("edge.ts");
    } catch {
      return false;
    }
  };
  const init = await cli(sb, home, ["init", "--non-interactive", "--no-shell-rc"]);
  const pids = pidsOf();
  try {
    expect(init.code).toBe(0);
    expect(pids.length).toBe(2);
    writeFileSync(join(home, "config.toml"), "[daemon\nedge_port = \n");
    const before = hashTree(home);
    const stop = await cli(sb, home, ["stop"]);
    expect(stop.code).toBe(0);
    expect(stop.stderr).toContain("going on with the defaults");
    expect(alive(pids[0]!)).toBe(false);
    expect(alive(pids[1]!)).toBe(true);
    const uninstall = await cli(sb, home, ["uninstall"]);
    expect(uninstall.code).toBe(0);
    expect(alive(pids[1]!)).toBe(false);
    // The daemon checkpoints db.sqlite as it stops, so the database is checked by its rows.
    for (const f of ["config.toml", "ca.pem", "ca-key.pem"]) expect(hashTree(home)[f]).toBe(before[f]!);
    const db = openStore(join(home, "db.sqlite"));
    expect((db.db.query("SELECT count(*) AS n FROM requests").get() as { n: number }).n).toBeGreaterThan(0);
    db.close();
  } finally {
    for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
  }
});
