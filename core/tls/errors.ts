/**
 * The closed set of trust-store failures. Each carries a human message and a hint,
 * so `doctor` and the logs can say what went wrong and what to do about it.
 */
export type TlsErrorKind =
  | "ca-key-missing" // ca.pem exists, ca-key.pem does not
  | "ca-cert-missing" // ca-key.pem exists, ca.pem does not
  | "ca-mismatch" // the key does not belong to the certificate
  | "ca-unreadable" // a CA file exists but cannot be read or parsed
  | "ca-write-failed" // creating the CA on disk failed
  | "write-failed" // the trust bundle or the leaf key cannot be written
  | "host-not-permitted" // the host lies outside the CA's name constraints
  | "invalid-host"; // not a DNS name we can put in a certificate

export class TlsError extends Error {
  override readonly name = "TlsError";
  constructor(
    readonly kind: TlsErrorKind,
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isTlsError = (e: unknown): e is TlsError => e instanceof TlsError;
