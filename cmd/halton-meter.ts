#!/usr/bin/env bun
import { defineCommand } from "citty";
import { VERSION, versionLine } from "../core/version.ts";
import { runCli } from "./_run.ts";

// Subcommands load lazily: `--version` and `tail` should not pay for `doctor`'s imports.
const main = defineCommand({
  meta: { name: "halton-meter", version: VERSION, description: "A local meter of LLM API spend" },
  subCommands: {
    config: () => import("./commands/config.ts").then((m) => m.default),
    setup: () => import("./commands/setup.ts").then((m) => m.default),
    daemon: () => import("./commands/daemon.ts").then((m) => m.default),
  },
});

process.exit(await runCli(main, process.argv.slice(2), versionLine("halton-meter")));
