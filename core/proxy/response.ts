// The few answers the proxy gives itself (errors, CONNECT accepted). One place, so the
// framing (Content-Length in bytes, Connection: close) is right everywhere.

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export const CONNECTION_ESTABLISHED = "HTTP/1.1 200 Connection Established\r\n\r\n";

/** A short plain-text answer that closes the connection; `by` names which process answered. */
export function plainResponse(status: number, reason: string, by: "edge" | "daemon"): string {
  const body = `${reason}\n`;
  return (
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\n` +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `Connection: close\r\nX-Halton-Meter: ${by}\r\n\r\n` +
    body
  );
}
