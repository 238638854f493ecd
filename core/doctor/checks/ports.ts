// effective-ports.json, and who holds each of the three ports (seed 002: `ss -tlnp`).

import { honoursPins, type PortName } from "../../ports/index.ts";
import type { DoctorContext } from "../context.ts";
import type { Listener } from "../listeners.ts";
import { finding, type Finding } from "../types.ts";

export function checkEffectivePorts(ctx: DoctorContext): Finding {
  const p = ctx.ports();
  const repair = { id: "rewrite-effective-ports" as const, does: `choose the ports again (keeping the ones our running processes hold) and rewrite ${ctx.paths.effectivePorts}` };
  const hint = "run `halton-meter doctor --fix --apply`, then `halton-meter start` to move the processes";
  const held = ctx.runningEdge();
  if (!p.ok) {
    if (p.missing && !ctx.installed) return finding("effective-ports", "skip", "not installed: no ports chosen yet");
    const note = held === null ? "" : `; the running edge holds 127.0.0.1:${held}, which the repair records`;
    return finding("effective-ports", "warn", `${p.message}${note}`, hint, repair);
  }
  const { edge, internal, api } = p.ports;
  const ports = `edge ${edge}, daemon ${internal}, api ${api}`;
  if (!honoursPins(p.ports, ctx.config)) return finding("effective-ports", "warn", `${ports} disagree with the ports pinned in config.toml`, hint, repair);
  // Unpinned, the edge never leaves its port: a file naming another one misleads every reader of it.
  if (held !== null && held !== edge && ctx.config.daemon.edge_port === undefined) {
    return finding("effective-ports", "warn", `${ports}, but the running edge holds 127.0.0.1:${held} (shells point there)`, "run `halton-meter doctor --fix --apply` to record the edge's port (a daemon restart also does)", repair);
  }
  if (new Set([edge, internal, api]).size < 3) return finding("effective-ports", "warn", `${ports}: two services share a port`, hint, repair);
  return finding("effective-ports", "ok", ports);
}

const OWNER: Record<PortName, "edge" | "daemon"> = { edge: "edge", internal: "daemon", api: "daemon" };
const COMMAND: Record<"edge" | "daemon", RegExp> = { edge: /halton-meter-edge|cmd\/edge\.ts/, daemon: /halton-meter(\.ts)?\s+daemon\b/ };

async function isOurs(ctx: DoctorContext, owner: "edge" | "daemon", l: Listener): Promise<boolean> {
  if (COMMAND[owner].test(l.command)) return true;
  const svc = await ctx.service(owner);
  if (svc?.pid && svc.pid === l.pid) return true;
  if (owner !== "daemon") return false;
  const health = await ctx.daemonHealth();
  return health?.ok === true && health.value.pid === l.pid;
}

export function portCheck(name: PortName): (ctx: DoctorContext) => Promise<Finding> {
  return async function checkPort(ctx) {
    const check = `port:${name}`;
    const p = ctx.ports();
    if (!p.ok) return finding(check, "skip", "no ports recorded");
    const port = p.ports[name];
    const owner = OWNER[name];
    const l = ctx.listener(port);
    if (!l) {
      if (await ctx.reachable(port)) return finding(check, "skip", `127.0.0.1:${port} answers; this system does not say who holds it`);
      if (!ctx.installed) return finding(check, "skip", `127.0.0.1:${port} is free`);
      return finding(check, "warn", `nothing listens on 127.0.0.1:${port}: the ${owner} is not running`, `see the ${owner} check below`);
    }
    if (await isOurs(ctx, owner, l)) return finding(check, "ok", `127.0.0.1:${port} held by the ${owner} (pid ${l.pid})`);
    const who = l.pid === null ? l.command : `pid ${l.pid} (${l.command.slice(0, 60)})`;
    return finding(
      check,
      "fail",
      `127.0.0.1:${port} is held by ${who}, not by the ${owner}`,
      `stop that process, or pin another port in ${ctx.paths.config} ([daemon] ${name}_port = ...) and run \`halton-meter init --clean\``,
    );
  };
}
