// Every TLS failure the meter meets, on either side of it, as one closed set with the sentence a
// person reads, logged under one event (`intercept.tls_failed`, its `side` saying which).

import { type ClientTlsFailure, describeClientTlsFailure } from "./client-failure.ts";

export type UpstreamTlsFailure =
  /** The provider's certificate failed verification (an intercepting network, a stale `[upstream] ca_file`). */
  | { kind: "cert-invalid"; host: string; error: string }
  /** The provider hung up before the handshake was done. */
  | { kind: "closed"; host: string; port: number; error: string | null };

export type TlsFailure = { side: "client"; failure: ClientTlsFailure } | { side: "upstream"; failure: UpstreamTlsFailure };

export const TLS_FAILED_EVENT = "intercept.tls_failed";

export function describeTlsFailure(f: TlsFailure): string {
  if (f.side === "client") return describeClientTlsFailure(f.failure);
  const u = f.failure;
  if (u.kind === "cert-invalid") return `${u.host}'s certificate failed verification: ${u.error}`;
  return `${u.host}:${u.port} closed the connection during the TLS handshake${u.error ? ` (${u.error})` : ""}`;
}

/** The fields every `intercept.tls_failed` line carries. */
export function tlsFailedFields(f: TlsFailure): { side: TlsFailure["side"]; kind: string; reason: string } {
  return { side: f.side, kind: f.failure.kind, reason: describeTlsFailure(f) };
}
