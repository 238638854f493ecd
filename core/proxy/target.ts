// Where a proxy request wants to go: CONNECT authority-form or absolute-form http:// URLs.

import { canonicalHost } from "../http/host.ts";

export interface Target {
  host: string;
  port: number;
}

export type TargetResult = { ok: true; target: Target; path?: string } | { ok: false; reason: string };

const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)(?:\.(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?))*\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

/** `host:port` or `[v6]:port`, as in a CONNECT request line. The port is required. */
export function parseAuthority(authority: string, defaultPort?: number): TargetResult {
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close < 0) return { ok: false, reason: "unclosed [ in IPv6 address" };
    host = authority.slice(1, close);
    if (!IPV6.test(host) || !host.includes(":")) return { ok: false, reason: "invalid IPv6 address" };
    const after = authority.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) return { ok: false, reason: "junk after IPv6 address" };
    portText = after === "" ? undefined : after.slice(1);
  } else {
    const colon = authority.lastIndexOf(":");
    host = colon < 0 ? authority : authority.slice(0, colon);
    portText = colon < 0 ? undefined : authority.slice(colon + 1);
    if (host.length === 0 || host.length > 253 || !HOST.test(host)) return { ok: false, reason: `invalid host ${JSON.stringify(host.slice(0, 60))}` };
  }
  if (portText === undefined) {
    if (defaultPort === undefined) return { ok: false, reason: "missing port" };
    return { ok: true, target: { host: canonicalHost(host), port: defaultPort } };
  }
  const port = parsePort(portText);
  if (port === null) return { ok: false, reason: `invalid port ${JSON.stringify(portText.slice(0, 10))}` };
  return { ok: true, target: { host: canonicalHost(host), port } };
}

/** `http://host[:port]/path?query` → the target and the origin-form path. */
export function parseAbsoluteUrl(url: string): TargetResult {
  const m = /^http:\/\/([^/?#]+)([^#]*)/i.exec(url);
  if (!m) return { ok: false, reason: "only http:// URLs can be proxied in plain HTTP (use CONNECT for https)" };
  const authority = m[1]!;
  if (authority.includes("@")) return { ok: false, reason: "credentials in the URL are not supported" };
  const parsed = parseAuthority(authority, 80);
  if (!parsed.ok) return parsed;
  const rest = m[2] ?? "";
  return { ok: true, target: parsed.target, path: rest.startsWith("/") ? rest : `/${rest}` };
}

const LOOPBACK_NAMES = new Set(["localhost", "localhost.localdomain", "ip6-localhost"]);

/** True for names and addresses that reach this machine (a proxy loop if the port is ours). */
export function isLoopbackHost(host: string): boolean {
  let h = host.toLowerCase();
  // Numeric IPv4 spellings the resolver accepts (127.1, 2130706433, 0x7f.1, 0177.0.0.1, 0):
  // let the URL parser normalise them as the resolver would.
  if (/^[0-9a-fx.]+$/.test(h)) {
    try {
      h = new URL(`http://${h}/`).hostname;
    } catch {}
  }
  if (/^::ffff:(7f[0-9a-f]{2}:|127\.)/.test(h)) return true;
  if (LOOPBACK_NAMES.has(h) || h.endsWith(".localhost")) return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === "0.0.0.0") return true;
  return h === "::1" || h === "::" || h === "0:0:0:0:0:0:0:1" || h === "::ffff:127.0.0.1";
}

/**
 * A target that is one of our own listening ports on this machine: a proxy loop, refused with
 * this answer by both processes (the edge's route and the daemon's CONNECT).
 */
export function loopRefusal(t: Target, ownPorts: ReadonlySet<number>): { status: 403; reason: string } | null {
  if (!isLoopbackHost(t.host) || !ownPorts.has(t.port)) return null;
  return { status: 403, reason: `refusing to proxy to ${t.host}:${t.port}: that is Halton Meter itself (a proxy loop)` };
}
