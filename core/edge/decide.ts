// What the edge does with a parsed request head. Pure.

import { headerValue } from "../http/headers.ts";
import type { RequestHead } from "../proxy/head.ts";
import { loopRefusal, parseAbsoluteUrl, parseAuthority, type Target } from "../proxy/target.ts";

export type EdgeDecision =
  | { kind: "reject"; status: number; reason: string }
  /** CONNECT: tunnel; `intercept` = a host the daemon meters (chain it when healthy). */
  | { kind: "connect"; target: Target; intercept: boolean }
  /** Plain-HTTP absolute-form request: send `head` (rewritten to origin form) to the target. */
  | { kind: "forward"; target: Target; head: string };

export interface DecideContext {
  /** Our own listening ports: a request aimed at one of them on loopback is a loop. */
  ownPorts: ReadonlySet<number>;
  intercepted: ReadonlySet<string>;
}

const HOP_BY_HOP = new Set(["proxy-connection", "proxy-authorization", "connection", "keep-alive"]);

export function decide(head: RequestHead, ctx: DecideContext): EdgeDecision {
  if (head.method === "CONNECT") {
    const parsed = parseAuthority(head.target);
    if (!parsed.ok) return { kind: "reject", status: 400, reason: `bad CONNECT target: ${parsed.reason}` };
    const loop = loopRefusal(parsed.target, ctx.ownPorts);
    if (loop) return { kind: "reject", ...loop };
    return { kind: "connect", target: parsed.target, intercept: ctx.intercepted.has(parsed.target.host) };
  }
  if (head.target.startsWith("/") || head.target === "*") {
    return { kind: "reject", status: 400, reason: "this is Halton Meter's proxy port: send CONNECT host:port or an absolute http:// URL" };
  }
  const parsed = parseAbsoluteUrl(head.target);
  if (!parsed.ok) return { kind: "reject", status: 400, reason: parsed.reason };
  const loop = loopRefusal(parsed.target, ctx.ownPorts);
  if (loop) return { kind: "reject", ...loop };
  return { kind: "forward", target: parsed.target, head: originFormHead(head, parsed.path ?? "/", parsed.target) };
}

/**
 * Plain HTTP goes out one request per connection: the request line becomes origin-form, the
 * proxy-only and hop-by-hop headers go, `Connection: close` is added. Every other header line
 * keeps its bytes and order.
 */
function originFormHead(head: RequestHead, path: string, target: Target): string {
  const lines = [`${head.method} ${path} ${head.version}`];
  for (const [name, value] of head.headers) if (!HOP_BY_HOP.has(name.toLowerCase())) lines.push(`${name}: ${value}`);
  if (headerValue(head.headers, "host") === null) lines.push(`Host: ${target.port === 80 ? target.host : `${target.host}:${target.port}`}`);
  lines.push("Connection: close");
  return `${lines.join("\r\n")}\r\n\r\n`;
}
