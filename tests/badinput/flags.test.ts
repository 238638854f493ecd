// Flags the way people mistype them: each is refused with exit 2 and a hint, never silently
// misread (citty alone takes `--project --json` as the project "--json" and ignores stray words).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, expectRefusal, makeSandbox, meterHome, type Sandbox } from "./_cli.ts";

let sb: Sandbox;
let home: string;

beforeAll(() => {
  sb = makeSandbox("hm-badinput-flags-");
  home = meterHome(sb, "flags");
});
afterAll(() => sb.cleanup());

describe("a flag that takes a value, given none", () => {
  for (const args of [["report", "--project"], ["report", "--project", "--json"], ["pricing", "list", "--model"], ["run", "--project", "--", "true"], ["watchdog", "--interval-ms"]]) {
    test(args.join(" "), async () => {
      const r = await cli(sb, home, args);
      expectRefusal(r, 2, /error: --\S+ needs a value/);
      expect(r.stderr).toContain(`hint: run \`halton-meter ${args[0] === "pricing" ? "pricing list" : args[0]} --help\``);
    });
  }

  test("tail -n with nothing after it is refused instead of following forever", async () => {
    expectRefusal(await cli(sb, home, ["tail", "-n"]), 2, /error: -n needs a value/);
  });
});

describe("stray words", () => {
  for (const args of [["report", "7d"], ["report", "--json", "extra"], ["status", "now"], ["bodies", "stats", "all"]]) {
    test(args.join(" "), async () => {
      expectRefusal(await cli(sb, home, args), 2, new RegExp(`error: unexpected argument "${args.at(-1)}"`));
    });
  }
});

test("--no-shell-rc, as the README documents it, is a known flag of init", async () => {
  // Paired with a real unknown flag so nothing is installed: only --bogus may be named.
  const r = await cli(sb, home, ["init", "--no-shell-rc", "--bogus"]);
  expectRefusal(r, 2, /error: unknown option --bogus\n/);
});

test("an unknown subcommand's hint names the whole command", async () => {
  const r = await cli(sb, home, ["bodies", "nope"]);
  expectRefusal(r, 2, /error: unknown command "nope"/);
  expect(r.stderr).toContain("hint: run `halton-meter bodies --help`");
});

test("what is still accepted: values that start with one dash reach the command, and run passes CMD's exit code", async () => {
  expectRefusal(await cli(sb, home, ["bodies", "purge", "--older-than", "-3d"]), 2, /--older-than: "-3d" is not a duration/);
  expectRefusal(await cli(sb, home, ["tail", "-n", "-5"]), 2, /--lines -5 is not a count/);
  writeFileSync(join(home, "effective-ports.json"), JSON.stringify({ edge: 1, internal: 2, api: 3 }));
  const r = await cli(sb, home, ["run", "--project", "p1", "--", "sh", "-c", 'test "$HALTON_PROJECT" = p1 && exit 7']);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(7);
  expect((await cli(sb, home, ["report", "--since=7d", "--json"])).code).toBe(0);
});
