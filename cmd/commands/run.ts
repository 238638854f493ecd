import { existsSync } from "node:fs";
import { constants } from "node:os";
import { defineCommand } from "citty";
import { readEffectivePorts } from "../../core/ports/index.ts";
import { rcEnv } from "../../core/service/rc-block.ts";
import { envBlock } from "../../core/tls/index.ts";
import { cliContext } from "../_context.ts";
import { EXIT, UserError } from "../_errors.ts";

/** What core/mitm's projectFromProxyAuth accepts as a project name. */
const PROJECT = /^[\w.@+-]{1,100}$/;

/**
 * The proxy URL for one project: the name rides as the proxy user (`Proxy-Authorization: Basic
 * base64("name:")`), which the daemon decodes; percent-encoded so an `@` survives URL parsing.
 */
export function proxyUrl(edgePort: number, project: string | null): string {
  return `http://${project ? `${encodeURIComponent(project)}:@` : ""}127.0.0.1:${edgePort}`;
}

/**
 * The trust env for the child, naming only files that exist: SSL_CERT_FILE and its kind at a
 * missing bundle would make a client (Codex, Python, curl) fail every TLS connection, not only
 * the metered ones. NODE_EXTRA_CA_CERTS adds our CA to Node's roots; it needs no bundle.
 */
export function trustEnv(caPath: string, bundlePath: string, warn: (message: string) => void): Record<string, string> {
  if (!existsSync(caPath)) return {};
  const env: Record<string, string> = envBlock({ bundlePath, caPath });
  if (existsSync(bundlePath)) return env;
  warn(`the trust bundle ${bundlePath} is missing: only Node clients will trust the meter; \`halton-meter setup\` writes it again`);
  return { NODE_EXTRA_CA_CERTS: env.NODE_EXTRA_CA_CERTS! };
}

export default defineCommand({
  meta: { name: "run", description: "Run a command through the meter: halton-meter run [--project X] -- CMD [ARGS...] (exit code passed through)" },
  args: {
    project: { type: "string", description: "Attribute this command's calls to project X" },
    command: { type: "positional", required: false, description: "The command to run, after --" },
  },
  async run({ args, rawArgs }) {
    const { paths, term } = cliContext();
    const dash = rawArgs.indexOf("--");
    const argv = dash >= 0 ? rawArgs.slice(dash + 1) : (args._ as string[]);
    if (argv.length === 0) throw new UserError("no command given", "halton-meter run [--project X] -- CMD [ARGS...]", EXIT.usage);
    const project = args.project ?? null;
    if (project !== null && !PROJECT.test(project)) throw new UserError(`--project ${JSON.stringify(project)}: use letters, digits and . _ @ + - (at most 100)`, undefined, EXIT.usage);
    const ports = readEffectivePorts(paths.effectivePorts);
    if (!ports.ok) throw new UserError(`the meter's ports are not recorded (${ports.message})`, "run `halton-meter init` first");

    const proxy = proxyUrl(ports.ports.edge, project);
    const trust = trustEnv(paths.caCert, paths.trustBundle, (m) => term.warn(m));
    const env: Record<string, string | undefined> = { ...process.env, ...rcEnv(ports.ports.edge, trust), HTTPS_PROXY: proxy, https_proxy: proxy, HTTP_PROXY: proxy, http_proxy: proxy };
    if (project !== null) env.HALTON_PROJECT = project;

    let child: ReturnType<typeof Bun.spawn>;
    try {
      child = Bun.spawn(argv, { env, stdin: "inherit", stdout: "inherit", stderr: "inherit" });
    } catch (err) {
      throw new UserError(`cannot run ${argv[0]}: ${(err as Error).message}`, undefined, 127);
    }
    // Ctrl-C reaches the child from the terminal already (same process group): we only outlive it.
    // A SIGTERM or SIGHUP aimed at us alone is passed on.
    const handlers = [
      ["SIGINT", () => {}],
      ["SIGTERM", () => child.kill("SIGTERM")],
      ["SIGHUP", () => child.kill("SIGHUP")],
    ] as const;
    for (const [sig, h] of handlers) process.on(sig, h);
    const code = await child.exited;
    for (const [sig, h] of handlers) process.off(sig, h);
    return child.signalCode ? 128 + (constants.signals[child.signalCode as keyof typeof constants.signals] ?? 1) : code;
  },
});
