// Reading and writing one service's web proxies with `networksetup`. It sometimes reports a
// failure on stdout with exit code 0, so "** Error" in its output counts as a failure too.

import type { RunResult, Runner } from "../../core/service/supervisor.ts";

/** "web" is plain HTTP (-getwebproxy), "secure" is HTTPS (-getsecurewebproxy). */
export type ProxyKind = "web" | "secure";
export const PROXY_KINDS: readonly ProxyKind[] = ["web", "secure"];

export interface ProxySetting {
  enabled: boolean;
  server: string;
  port: number;
  /** Its password cannot be read back, so such a setting is never changed. */
  authenticated: boolean;
}

const VERB = { web: "webproxy", secure: "securewebproxy" } as const;

export class NetworksetupError extends Error {}

const failed = (r: RunResult): boolean => r.code !== 0 || /^\*\* Error/m.test(r.stdout) || /^\*\* Error/m.test(r.stderr);

export function createNetworksetup(run: Runner) {
  async function call(...args: string[]): Promise<string> {
    const r = await run(["networksetup", ...args]);
    if (r.code === 127) throw new NetworksetupError("networksetup is not on this machine (it is part of macOS)");
    if (failed(r)) throw new NetworksetupError(`networksetup ${args.join(" ")} failed (rc ${r.code}): ${(r.stdout + r.stderr).trim().split("\n")[0]}`);
    return r.stdout;
  }
  return {
    /** Every network service, disabled ones included (listed with a leading "*"). */
    async services(): Promise<string[]> {
      const out = await call("-listallnetworkservices");
      return out
        .split("\n")
        .slice(1)
        .map((l) => l.replace(/^\*/, "").trim())
        .filter((l) => l !== "");
    },
    async get(service: string, kind: ProxyKind): Promise<ProxySetting> {
      return parseProxy(await call(`-get${VERB[kind]}`, service));
    },
    async set(service: string, kind: ProxyKind, server: string, port: number): Promise<void> {
      await call(`-set${VERB[kind]}`, service, server, String(port));
    },
    async setState(service: string, kind: ProxyKind, on: boolean): Promise<void> {
      await call(`-set${VERB[kind]}state`, service, on ? "on" : "off");
    },
  };
}

export type Networksetup = ReturnType<typeof createNetworksetup>;

/** `Enabled: Yes\nServer: 127.0.0.1\nPort: 8081\nAuthenticated Proxy Enabled: 0` */
export function parseProxy(out: string): ProxySetting {
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, "m").exec(out)?.[1]?.trim() ?? "";
  const port = Number.parseInt(field("Port"), 10);
  return {
    enabled: /^yes$/i.test(field("Enabled")),
    server: field("Server"),
    port: Number.isFinite(port) ? port : 0,
    authenticated: field("Authenticated Proxy Enabled") === "1",
  };
}
