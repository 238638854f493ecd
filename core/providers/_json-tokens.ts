// The leaf tokens of JSON (strings, numbers, literals) read across chunk boundaries with bounded
// memory: a token the picker does not keep is only scanned for its end, and a kept one holds at
// most its limit. The structure around them (containers, keys, what to keep) is _json-stream.ts.

const MAX_KEY_BYTES = 256;
const MAX_NUMBER_CHARS = 64;
const NUMBER_RE = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** A JSON string after its opening quote, up to (not including) its closing quote. */
export class StringToken {
  /** An object key, held to MAX_KEY_BYTES, rather than a value. */
  isKey = false;
  /** The picker wants the text; otherwise only the closing quote is looked for. */
  keep = false;
  private parts: Uint8Array[] = [];
  private length = 0;
  private escape = false;
  private readonly decoder = new TextDecoder("utf-8", { fatal: false });

  constructor(private readonly maxValueBytes: number) {}

  begin(isKey: boolean, keep: boolean): void {
    this.isKey = isKey;
    this.keep = keep;
    this.parts = [];
    this.length = 0;
    this.escape = false;
  }

  /** Reads from `from`: the index of the closing quote, or chunk.length when the string goes on. */
  scan(chunk: Uint8Array, from: number): number {
    const n = chunk.length;
    let i = from;
    let escape = this.escape;
    for (; i < n; i++) {
      const b = chunk[i]!;
      if (escape) escape = false;
      else if (b === 0x5c) escape = true;
      else if (b === 0x22) break;
    }
    this.escape = escape;
    if (this.keep) this.collect(chunk, from, i);
    return i;
  }

  /** The text, escapes decoded; null when not kept or longer than its limit. */
  end(): string | null {
    const text = this.keep && this.length <= this.limit() ? this.decode() : null;
    this.parts = [];
    return text;
  }

  private limit(): number {
    return this.isKey ? MAX_KEY_BYTES : this.maxValueBytes;
  }

  private collect(chunk: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    this.length += to - from;
    if (this.length > this.limit()) {
      this.parts = [];
      return;
    }
    this.parts.push(chunk.slice(from, to));
  }

  private decode(): string {
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    const raw = this.decoder.decode(bytes);
    if (!raw.includes("\\")) return raw;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      return raw;
    }
  }
}

export type ScalarValue = { status: "ok"; value: number | boolean | null } | { status: "invalid"; reason: string };

/** A number or a literal (true, false, null), from its first byte to the first byte not its own. */
export class ScalarToken {
  /** The picker wants the value; a number too long to keep reads as null. */
  keep = false;
  private numeric = false;
  private text = "";

  /** False when `first` starts neither a number nor a literal. */
  begin(first: number, keep: boolean): boolean {
    if (first === 0x2d || (first >= 0x30 && first <= 0x39)) this.numeric = true;
    else if (first === 0x74 || first === 0x66 || first === 0x6e) this.numeric = false;
    else return false;
    this.keep = keep;
    this.text = String.fromCharCode(first);
    return true;
  }

  /** Reads from `from`: the index of the first byte past the token, or chunk.length when it goes on. */
  scan(chunk: Uint8Array, from: number): number {
    const n = chunk.length;
    let i = from;
    while (i < n && (this.numeric ? isNumberByte(chunk[i]!) : isLetter(chunk[i]!))) i++;
    for (let j = from; j < i && this.text.length <= MAX_NUMBER_CHARS; j++) this.text += String.fromCharCode(chunk[j]!);
    return i;
  }

  /** `at`: the offset just past the token, for the reason. */
  end(at: number): ScalarValue {
    const text = this.text;
    this.text = "";
    if (!this.numeric) {
      if (text === "true") return { status: "ok", value: true };
      if (text === "false") return { status: "ok", value: false };
      if (text === "null") return { status: "ok", value: null };
      return { status: "invalid", reason: `invalid literal "${text.slice(0, 8)}" before byte ${at}` };
    }
    if (text.length > MAX_NUMBER_CHARS) return { status: "ok", value: null };
    if (!NUMBER_RE.test(text)) return { status: "invalid", reason: `invalid number "${text}" before byte ${at}` };
    return { status: "ok", value: Number(text) };
  }
}

/** "unexpected "}" at byte 12"; a control or non-ASCII byte is shown in hex. */
export function unexpected(b: number, at: number): string {
  const shown = b >= 0x20 && b < 0x7f ? `"${String.fromCharCode(b)}"` : `0x${b.toString(16).padStart(2, "0")}`;
  return `unexpected ${shown} at byte ${at}`;
}

function isNumberByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || b === 0x2e || b === 0x2d || b === 0x2b || b === 0x65 || b === 0x45;
}

function isLetter(b: number): boolean {
  return b >= 0x61 && b <= 0x7a;
}
