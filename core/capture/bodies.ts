// Optional body capture: one exchange's request and response as HTTP text (head, blank line,
// body), each body decoded from its Content-Encoding and capped. Secrets are taken out by the
// store on the way to disk (core/store/rows.ts runs redactSecrets on both texts).

// The adapters' incremental decoder: the same gzip/br/zstd handling, capped, never throwing.
import { type BodyDecoder, createBodyDecoder } from "../providers/_decode.ts";
import { contentCodings } from "../providers/_headers.ts";
import type { RawHeaders } from "../http/types.ts";
import type { CapturedBodies } from "../usage/types.ts";


/** The decoded body of one message, up to `max` bytes. */
class CappedBody {
  private readonly parts: Uint8Array[] = [];
  private readonly decoder: BodyDecoder;
  private kept = 0;
  private received = 0;
  private truncated = false;

  constructor(
    private readonly max: number,
    private readonly codings: readonly string[],
  ) {
    // One byte past the cap tells "exactly max" apart from "cut at max".
    this.decoder = createBodyDecoder(codings, max + 1);
  }

  push(chunk: Uint8Array): void {
    this.received += chunk.byteLength;
    if (this.truncated) return;
    this.decoder.pushEach(chunk, (piece) => {
      const room = this.max - this.kept;
      if (piece.byteLength > room) this.truncated = true;
      const kept = piece.byteLength > room ? piece.subarray(0, room) : piece;
      if (kept.byteLength > 0) this.parts.push(new Uint8Array(kept));
      this.kept += kept.byteLength;
      return !this.truncated;
    });
    if (this.truncated) this.decoder.close();
  }

  text(): string {
    const problem = this.truncated ? null : this.decoder.problem;
    this.decoder.close();
    let out = Buffer.concat(this.parts).toString("utf8");
    const coded = this.codings.length ? ` (${this.codings.join(", ")} on the wire, stored decoded)` : "";
    if (this.truncated) out += `\n[halton-meter: body cut at ${this.max} bytes; ${this.received} bytes received${coded}]`;
    else if (problem) out += `\n[halton-meter: body not fully decoded: ${problem}]`;
    return out;
  }
}

function headText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

/** Collects one exchange's bytes as the MITM session sees them (payload already de-chunked). */
export class BodyCapture {
  private readonly requestHead: string;
  private readonly requestBody: CappedBody;
  private responseHead: string | null = null;
  private responseBody: CappedBody | null = null;

  constructor(
    private readonly maxBytes: number,
    requestHead: Uint8Array,
    requestHeaders: RawHeaders,
  ) {
    this.requestHead = headText(requestHead);
    this.requestBody = new CappedBody(maxBytes, contentCodings(requestHeaders));
  }

  onRequestBody(chunk: Uint8Array): void {
    this.requestBody.push(chunk);
  }

  /** The final (non-1xx) response head. */
  onResponseHead(head: Uint8Array, headers: RawHeaders): void {
    this.responseHead = headText(head);
    this.responseBody = new CappedBody(this.maxBytes, contentCodings(headers));
  }

  onResponseBody(chunk: Uint8Array): void {
    this.responseBody?.push(chunk);
  }

  finish(): CapturedBodies {
    const request = this.requestHead + this.requestBody.text();
    const response = this.responseHead === null ? null : this.responseHead + (this.responseBody?.text() ?? "");
    return { request, response };
  }
}
