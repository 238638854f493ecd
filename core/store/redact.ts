// Secrets never reach the bodies table: header values and key-shaped strings become [redacted].

const REDACTED = "[redacted]";

/** Credential-carrying headers, in "Name: value" lines and in JSON ("name": "value"). */
const SECRET_HEADERS = "authorization|proxy-authorization|x-api-key|x-goog-api-key|api-key|cookie|set-cookie";
const HEADER_LINE = new RegExp(`^(\\s*(?:${SECRET_HEADERS})[ \\t]*:[ \\t]*)[^\\r\\n]*`, "gim");
const HEADER_JSON = new RegExp(`("(?:${SECRET_HEADERS})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, "gi");

/** Key shapes, most specific first (sk-ant- and sk-proj- are also sk-). */
const KEY_SHAPES: RegExp[] = [
  /\bsk-ant-[A-Za-z0-9_-]{16,}/g,
  /\bsk-proj-[A-Za-z0-9_-]{16,}/g,
  /\bsk-[A-Za-z0-9_-]{20,}/g,
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\bxai-[A-Za-z0-9_-]{20,}/g,
];
const BEARER = /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi;

export function redactSecrets(text: string): string {
  let out = text.replace(HEADER_LINE, `$1${REDACTED}`).replace(HEADER_JSON, `$1"${REDACTED}"`);
  out = out.replace(BEARER, `Bearer ${REDACTED}`);
  for (const shape of KEY_SHAPES) out = out.replace(shape, REDACTED);
  return out;
}
