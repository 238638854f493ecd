// A byte-fed Server-Sent Events parser (WHATWG "event stream interpretation").
//
// Lines are split on raw bytes (CR, LF, CRLF: never part of a UTF-8 sequence), so chunks may end
// anywhere, mid-line or mid-character. Only the current event is held, up to `maxEventBytes`; an
// event past that is still dispatched, with `data: null` and `oversized: true`.

export interface SseEvent {
  /** The `event:` field, or "message" when absent. */
  event: string;
  /** Data lines joined with "\n"; null when the event passed the size cap. */
  data: string | null;
  oversized: boolean;
}

export const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

const CR = 0x0d;
const LF = 0x0a;

export class SseParser {
  private line: Uint8Array[] = [];
  /** Bytes seen on the current line, kept or not. */
  private lineLen = 0;
  private afterCR = false;
  private atStart = true;
  private eventName = "";
  private data: string[] = [];
  private hasData = false;
  private eventBytes = 0;
  private oversized = false;
  private readonly decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    private readonly maxEventBytes = DEFAULT_MAX_EVENT_BYTES,
  ) {}

  push(chunk: Uint8Array): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== CR && b !== LF) continue;
      if (b === LF && this.afterCR && i === start) {
        // The LF of a CRLF whose CR already ended the line.
        this.afterCR = false;
        start = i + 1;
        continue;
      }
      this.take(chunk, start, i);
      this.endLine();
      this.afterCR = b === CR;
      start = i + 1;
    }
    if (start < chunk.length) {
      this.afterCR = false;
      this.take(chunk, start, chunk.length);
    }
  }

  /** End of body: an unterminated last line and event are still delivered (lenient). */
  end(): void {
    if (this.lineLen > 0) this.endLine();
    this.dispatch();
  }

  private take(chunk: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    this.lineLen += to - from;
    this.eventBytes += to - from;
    if (this.eventBytes > this.maxEventBytes) {
      // Keep counting lines, stop keeping bytes: the event is delivered without data.
      this.oversized = true;
      this.line = [];
      this.data = [];
      return;
    }
    this.line.push(chunk.slice(from, to));
  }

  private endLine(): void {
    const parts = this.line;
    const length = this.lineLen;
    this.line = [];
    this.lineLen = 0;
    if (length === 0) return this.dispatch();
    if (this.oversized) return;
    let text = this.decoder.decode(parts.length === 1 ? parts[0]! : joinBytes(parts, length));
    if (this.atStart) {
      this.atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.field(text);
  }

  private field(line: string): void {
    if (line.startsWith(":")) return; // comment / keep-alive
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "event") this.eventName = value;
    else if (name === "data") {
      this.hasData = true;
      this.data.push(value);
    }
    // "id" and "retry" do not matter for metering.
  }

  private dispatch(): void {
    const deliver = this.hasData || this.oversized;
    const event: SseEvent = {
      event: this.eventName || "message",
      data: this.oversized ? null : this.data.join("\n"),
      oversized: this.oversized,
    };
    this.eventName = "";
    this.data = [];
    this.hasData = false;
    this.eventBytes = 0;
    this.oversized = false;
    if (deliver) this.onEvent(event);
  }
}

function joinBytes(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}
