// The install sentinels, the supervisor and its units, the daemon (pid and /health) and the edge.

import type { DoctorContext } from "../context.ts";
import { finding, type Finding } from "../types.ts";

export function checkSentinels(ctx: DoctorContext): Finding {
  const s = ctx.sentinels;
  if (!s.mode) return finding("install", "fail", `not installed (no ${ctx.paths.installMode}): nothing is metered`, "run `halton-meter init`");
  const facts = [`mode ${s.mode}`, `supervisor ${s.supervisor ?? "not recorded"}`];
  if (s.gracefulStop) facts.push("daemon stopped on purpose (graceful-stop)");
  if (s.proxyManaged) facts.push("system proxy managed");
  if (!s.supervisor) return finding("install", "warn", `${facts.join(", ")}: the supervisor sentinel is missing`, "run `halton-meter init` to record it again");
  if (s.proxyManaged && process.platform !== "darwin") {
    return finding("install", "warn", `${facts.join(", ")}: only macOS has a system proxy to manage`, "run `halton-meter reset-proxy`");
  }
  return finding("install", "ok", facts.join(", "));
}

export async function checkSupervisor(ctx: DoctorContext): Promise<Finding> {
  if (!ctx.supervisor) {
    const why = ctx.supervisorError;
    return finding("supervisor", ctx.installed ? "fail" : "skip", why?.reason ?? "no supervisor could be chosen", why?.hint ?? null);
  }
  if (ctx.supervisorError) return finding("supervisor", ctx.installed ? "fail" : "warn", `${ctx.supervisor.describe()}: ${ctx.supervisorError.reason}`, ctx.supervisorError.hint);
  const rows = await ctx.services();
  if (!rows) return finding("supervisor", "fail", `${ctx.supervisor.describe()}: it did not answer`, "run `halton-meter status` for its own words");
  const units = rows.filter((r) => r.state !== "not-applicable");
  const summary = units.map((r) => `${r.name} ${r.state}${r.pid ? ` (pid ${r.pid})` : ""}`).join(", ");
  if (ctx.sentinels.supervisor && ctx.sentinels.supervisor !== ctx.supervisor.kind) {
    return finding("supervisor", "warn", `init recorded ${ctx.sentinels.supervisor}, but ${ctx.supervisor.kind} is in use: ${summary}`, "run `halton-meter init` to install under one supervisor");
  }
  const failed = units.filter((r) => r.state === "failed");
  if (failed.length) {
    const hint =
      ctx.supervisor.kind === "systemd"
        ? "systemctl --user reset-failed halton-meter.service halton-meter-edge.service, then `halton-meter start` (or `halton-meter rescue`)"
        : "run `halton-meter start` (or `halton-meter rescue`)";
    return finding("supervisor", "fail", `${ctx.supervisor.describe()}: ${failed.map((r) => `${r.name} failed (${r.detail})`).join("; ")}`, hint);
  }
  const missing = ctx.installed ? units.filter((r) => (r.name === "daemon" || r.name === "edge") && r.state === "not-installed") : [];
  if (missing.length) return finding("supervisor", "fail", `${ctx.supervisor.describe()}: ${missing.map((r) => r.name).join(" and ")} not installed`, "run `halton-meter init`");
  return finding("supervisor", "ok", `${ctx.supervisor.describe()}: ${summary}`);
}

export async function checkDaemon(ctx: DoctorContext): Promise<Finding> {
  const health = await ctx.daemonHealth();
  const svc = await ctx.service("daemon");
  if (health === null) return finding("daemon", ctx.installed ? "fail" : "skip", "no API port recorded (effective-ports.json)", "run `halton-meter init`");
  if (health.ok) {
    const h = health.value;
    if (svc?.pid && svc.pid !== h.pid) {
      return finding("daemon", "warn", `/health answers from pid ${h.pid}, but the supervisor runs pid ${svc.pid}`, "another daemon holds the API port: `halton-meter stop`, end the stray one by its pid, then `halton-meter start`");
    }
    return finding("daemon", "ok", `/health ok: version ${h.version}, pid ${h.pid}, up ${h.uptime_s} s`);
  }
  const why = health.status === 0 ? (health.detail ?? health.error) : `/health answered ${health.status}: ${health.error}`;
  if (ctx.sentinels.gracefulStop) return finding("daemon", "warn", `stopped on purpose (${why}): nothing is metered meanwhile, tools pass through the edge`, "run `halton-meter start` when you want metering back");
  if (!ctx.installed) return finding("daemon", "fail", `not running (${why})`, "run `halton-meter init`");
  return finding("daemon", "fail", `not answering (${why}): requests pass through unmetered`, "run `halton-meter doctor --fix --apply` (starts it) or `halton-meter start`; the log is ~/.halton-meter/daemon.log", {
    id: "start-daemon",
    does: "start the daemon through the supervisor and wait for /health",
  });
}

export async function checkEdge(ctx: DoctorContext): Promise<Finding> {
  const ports = ctx.ports();
  if (!ports.ok) return finding("edge", ctx.installed ? "fail" : "skip", "no edge port recorded (effective-ports.json)", "run `halton-meter init`");
  const port = ports.ports.edge;
  if (await ctx.reachable(port)) {
    const svc = await ctx.service("edge");
    return finding("edge", "ok", `127.0.0.1:${port} accepts connections${svc?.pid ? ` (pid ${svc.pid})` : ""}`);
  }
  if (!ctx.installed) return finding("edge", "fail", `nothing listens on 127.0.0.1:${port}`, "run `halton-meter init`");
  return finding("edge", "fail", `nothing listens on 127.0.0.1:${port}: every tool with HTTPS_PROXY set fails to connect`, "run `halton-meter doctor --fix --apply` (starts it) or `halton-meter start`; until then `unset HTTPS_PROXY https_proxy`", {
    id: "start-edge",
    does: "start the edge through the supervisor",
  });
}

/** Clients that refused our certificate are tunnelled raw (unmetered) until the daemon restarts. */
export async function checkTlsBypass(ctx: DoctorContext): Promise<Finding> {
  const health = await ctx.daemonHealth();
  if (!health?.ok) return finding("tls-bypass", "skip", "the daemon is not answering");
  const list = health.value.tls_bypass ?? [];
  if (list.length === 0) return finding("tls-bypass", "ok", "no client has refused Halton Meter's certificate");
  const shown = list.slice(0, 5).map((b) => `${b.process} for ${b.host} (${b.reason}, until ${b.until})`);
  const more = list.length > 5 ? `, and ${list.length - 5} more` : "";
  return finding(
    "tls-bypass",
    "warn",
    `${list.length} client process${list.length === 1 ? "" : "es"} refused our certificate and ${list.length === 1 ? "is" : "are"} tunnelled raw, unmetered: ${shown.join("; ")}${more}`,
    "give that tool the trust env (`halton-meter setup` prints it: NODE_EXTRA_CA_CERTS for Node, SSL_CERT_FILE for Python and curl), restart it, then restart the daemon to clear the list (`halton-meter stop && halton-meter start`)",
  );
}
