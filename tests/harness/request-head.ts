// The fake provider's request framing: what a request head says about its body, read in one pass
// over the head, and the request as a script sees it (its headers parsed only when asked for:
// the bench's fake answers tens of thousands of requests a second and never looks).

export interface FakeRequest {
  /** Head bytes exactly as received, up to and including the blank line. */
  readonly head: Buffer;
  /** Body bytes exactly as received (chunked framing included). */
  readonly body: Buffer;
  readonly method: string;
  readonly path: string;
  /** Every header as sent, in order. */
  readonly headers: Array<[string, string]>;
  /** The first value of a header, by name in any case. */
  header(name: string): string | undefined;
}

export interface Framing {
  /** Body length from Content-Length, or "chunked". */
  length: number | "chunked";
  expectContinue: boolean;
  upgrade: boolean;
}

/** The value of header `name` (lower case) in a head, found through its lower-cased copy. */
function valueIn(text: string, lower: string, name: string): string | undefined {
  const at = lower.indexOf(`\r\n${name}:`);
  if (at < 0) return undefined;
  const from = at + name.length + 3;
  return text.slice(from, text.indexOf("\r\n", from)).trim();
}

/** `lower`: the head lower-cased (indexOf over it is what keeps the bench's fake fast). */
export function framingOf(text: string, lower: string): Framing {
  const chunked = valueIn(lower, lower, "transfer-encoding")?.includes("chunked") ?? false;
  return {
    length: chunked ? "chunked" : Number(valueIn(text, lower, "content-length") ?? 0),
    expectContinue: valueIn(lower, lower, "expect") === "100-continue",
    upgrade: lower.includes("\r\nupgrade:"),
  };
}

/** Length of a complete chunked body at the start of `b`, or -1 if incomplete. */
export function chunkedLength(b: Buffer): number {
  let at = 0;
  for (;;) {
    const eol = b.indexOf("\r\n", at);
    if (eol < 0) return -1;
    const size = parseInt(b.subarray(at, eol).toString("latin1").split(";")[0]!, 16);
    at = eol + 2;
    if (size === 0) {
      for (;;) {
        const e = b.indexOf("\r\n", at);
        if (e < 0) return -1;
        if (e === at) return at + 2;
        at = e + 2;
      }
    }
    if (b.length < at + size + 2) return -1;
    at += size + 2;
  }
}

export class ReceivedRequest implements FakeRequest {
  readonly method: string;
  readonly path: string;
  private parsed?: Array<[string, string]>;

  /** `text`: the head as latin1, and lower-cased. */
  constructor(
    readonly head: Buffer,
    readonly body: Buffer,
    private readonly text: string,
    private readonly lower: string,
  ) {
    const [method = "", path = ""] = text.slice(0, text.indexOf("\r\n")).split(" ");
    this.method = method;
    this.path = path;
  }

  get headers(): Array<[string, string]> {
    if (!this.parsed) {
      this.parsed = [];
      for (const l of this.text.split("\r\n").slice(1)) {
        if (!l) continue;
        const i = l.indexOf(":");
        this.parsed.push([l.slice(0, i), l.slice(i + 1).trim()]);
      }
    }
    return this.parsed;
  }

  header(name: string): string | undefined {
    return valueIn(this.text, this.lower, name.toLowerCase());
  }
}
