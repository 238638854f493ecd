import { defineCommand } from "citty";
import { stringifyTOML } from "confbox";
import { defaultConfig } from "../../core/config/index.ts";
import { cliContext } from "../_context.ts";

export default defineCommand({
  meta: { name: "config", description: "Validate config.toml and print the configuration in force (defaults included)" },
  args: {
    json: { type: "boolean", description: "Print JSON instead of TOML" },
    defaults: { type: "boolean", description: "Print the built-in defaults, ignoring config.toml" },
  },
  run({ args }) {
    const ctx = cliContext();
    const config = args.defaults ? defaultConfig() : ctx.config;
    if (args.json) ctx.term.print(JSON.stringify({ file: ctx.paths.config, config }, null, 2));
    else ctx.term.print(`# ${args.defaults ? "built-in defaults" : ctx.paths.config}\n${stringifyTOML(config).trimEnd()}`);
    return 0;
  },
});
