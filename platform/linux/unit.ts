// systemd user units, rendered from a ServiceSpec. Pure: the supervisor writes the text.

import type { ServiceName, ServiceSpec } from "../../core/service/supervisor.ts";

export const UNIT_NAMES: Partial<Record<ServiceName, string>> = {
  daemon: "halton-meter.service",
  edge: "halton-meter-edge.service",
};

const DESCRIPTIONS: Partial<Record<ServiceName, string>> = {
  daemon: "Halton Meter daemon (decrypts and meters LLM API calls)",
  edge: "Halton Meter edge (the always-on proxy port; tunnels raw when the daemon is down)",
};

/**
 * Proxy variables the user manager may have imported from a login shell whose rc block points
 * at the edge: the daemon must never send its upstream traffic back through us.
 */
export const PROXY_ENV = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] as const;

function noControl(value: string, what: string): string {
  if (/[\n\r\0]/.test(value)) throw new Error(`${what} cannot hold a newline or NUL: ${JSON.stringify(value)}`);
  return value;
}

/** One ExecStart word: quoted, with `\`, `"`, `%` (specifiers) and `$` (variables) escaped. */
export function quoteExecArg(arg: string): string {
  return `"${noControl(arg, "an ExecStart argument").replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\$/g, "$$$$")}"`;
}

/** One Environment= assignment: quoted, `\` and `"` escaped, `%` doubled (no `$` expansion here). */
export function quoteEnvAssignment(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not an environment variable name: ${name}`);
  return `"${`${name}=${noControl(value, `${name}`)}`.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%")}"`;
}

/** A path setting (StandardOutput=append:...): specifiers escaped, nothing else interpreted. */
const pathValue = (p: string): string => noControl(p, "a log path").replace(/%/g, "%%");

export function renderUnit(spec: ServiceSpec): string {
  const description = DESCRIPTIONS[spec.name];
  if (!description) throw new Error(`systemd runs no ${spec.name} service`);
  if (spec.argv.length === 0 || !spec.argv[0]!.startsWith("/")) throw new Error(`ExecStart needs an absolute program path, got ${JSON.stringify(spec.argv[0])}`);
  const env = Object.entries(spec.env)
    .filter(([name]) => !(PROXY_ENV as readonly string[]).includes(name))
    .map(([name, value]) => `Environment=${quoteEnvAssignment(name, value)}`);
  return [
    "# Written by `halton-meter init` and rewritten by every init: change config.toml, not this file.",
    "[Unit]",
    `Description=${description}`,
    ...(spec.name === "daemon" ? ["After=halton-meter-edge.service"] : []),
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${spec.argv.map(quoteExecArg).join(" ")}`,
    ...env,
    `UnsetEnvironment=${PROXY_ENV.join(" ")}`,
    "Restart=always",
    "RestartSec=1",
    `StandardOutput=append:${pathValue(spec.stdoutLog)}`,
    `StandardError=append:${pathValue(spec.stderrLog)}`,
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}
