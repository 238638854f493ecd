// The observer every provider shares: request body -> picked facts; response head -> how to read
// the body (SSE, JSON, JSON items, error); body -> decoder -> parser -> the endpoint's reader;
// finish -> one UsageResult (built by _result.ts). Nothing in here throws out of an
// ExchangeObserver method.

import type { ExchangeHead, ResponseHead } from "../http/types.ts";
import type { ExchangeObserver, UsageResult } from "../usage/types.ts";
import { createBodyDecoder, DEFAULT_MAX_DECODED_BYTES, type BodyDecoder } from "./_decode.ts";
import { contentCodings, mediaType } from "./_headers.ts";
import { JsonPicker } from "./_json-stream.ts";
import { adapterError, failedResult, usageResult } from "./_result.ts";
import { DEFAULT_MAX_EVENT_BYTES, SseParser } from "./_sse.ts";
import {
  ERROR_SPEC,
  REQUEST_SPEC,
  formatBytes,
  isObject,
  newTally,
  text,
  type Endpoint,
  type PayloadReader,
  type RequestFacts,
} from "./_usage.ts";

export interface ObserverOptions {
  /** Cap on decompressed bytes per body; past it decoding stops and the row is incomplete. */
  maxDecodedBytes?: number;
  /** Cap on one SSE event; a larger event is skipped and the row is incomplete. */
  maxEventBytes?: number;
}

interface BodySink {
  readonly kind: "sse" | "json" | "error";
  push(bytes: Uint8Array): void;
  end(): void;
}

export function createEndpointObserver(head: ExchangeHead, endpoint: Endpoint, options: ObserverOptions = {}): ExchangeObserver {
  return new EndpointObserver(head, endpoint, options);
}

class EndpointObserver implements ExchangeObserver {
  private readonly tally = newTally();
  private readonly problems: string[] = [];
  private readonly maxDecoded: number;
  private readonly maxEvent: number;
  private requestDecoder: BodyDecoder | null;
  private requestPicker: JsonPicker | null;
  private status: number | null = null;
  private reader: PayloadReader | null = null;
  private decoder: BodyDecoder | null = null;
  private sink: BodySink | null = null;
  private sniffed: Uint8Array[] | null = null;
  private errorBody: unknown = undefined;
  private result: UsageResult | null = null;

  constructor(
    head: ExchangeHead,
    private readonly endpoint: Endpoint,
    options: ObserverOptions,
  ) {
    this.maxDecoded = options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
    this.maxEvent = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.requestDecoder = createBodyDecoder(contentCodings(head.requestHeaders), this.maxDecoded);
    this.requestPicker = new JsonPicker(endpoint.requestSpec ?? REQUEST_SPEC, { maxKeptValues: 1000 });
  }

  onRequestBody(chunk: Uint8Array): void {
    if (this.result !== null || this.requestPicker === null) return;
    try {
      const picker = this.requestPicker;
      this.requestDecoder!.pushEach(chunk, (piece) => picker.push(piece));
    } catch {
      this.requestPicker = null; // the request only supplies a fallback model: drop it quietly
    }
  }

  onResponseHead(head: ResponseHead): void {
    if (this.result !== null || this.status !== null) return;
    if (head.status >= 100 && head.status < 200) return; // interim; the final head follows
    this.guard(() => {
      this.status = head.status;
      const type = mediaType(head.headers);
      if (head.status >= 400) {
        this.sink = this.errorSink();
      } else if (head.status >= 200 && head.status < 300 && this.endpoint.reader) {
        this.reader = this.endpoint.reader(this.tally);
        if (type === "text/event-stream") this.sink = this.sseSink();
        else if (type.includes("json")) this.sink = this.jsonSink(this.reader);
        else this.sniffed = []; // unlabelled: decide from the first byte
      }
      if (this.sink !== null || this.sniffed !== null) {
        this.decoder = createBodyDecoder(contentCodings(head.headers), this.maxDecoded);
      }
    });
  }

  onResponseBody(chunk: Uint8Array): void {
    if (this.result !== null || this.decoder === null) return;
    this.guard(() => {
      this.decoder!.pushEach(chunk, (piece) => this.feed(piece));
    });
  }

  finish(complete: boolean): UsageResult {
    if (this.result !== null) return this.result;
    try {
      this.result = this.build(complete);
    } catch (err) {
      this.result = failedResult(this.endpoint, err);
    }
    this.decoder?.close();
    this.requestDecoder?.close();
    return this.result;
  }

  private feed(piece: Uint8Array): void {
    if (this.sniffed !== null) {
      this.sniffed.push(piece);
      const first = firstNonSpace(this.sniffed);
      if (first === null) return;
      const pending = this.sniffed;
      this.sniffed = null;
      const json = first === 0x7b || first === 0x5b || this.reader!.items === "lines";
      this.sink = json ? this.jsonSink(this.reader!) : this.sseSink();
      for (const p of pending) this.sink.push(p);
      return;
    }
    this.sink?.push(piece);
  }

  private sseSink(): BodySink {
    let unparsed = 0;
    let oversized = 0;
    const parser = new SseParser((event) => {
      if (event.data === null) {
        oversized++;
        return;
      }
      const wanted = this.reader!.sseEvents;
      if (wanted && event.event !== "message" && !wanted.has(event.event)) return;
      const data = event.data.trim();
      if (data === "[DONE]") return this.deliver(() => this.reader!.done?.());
      if (!data.startsWith("{") && !data.startsWith("[")) return;
      let value: unknown;
      try {
        value = JSON.parse(data);
      } catch {
        unparsed++;
        return;
      }
      this.deliver(() => this.reader!.payload(value, event.event));
    }, this.maxEvent);
    return {
      kind: "sse",
      push: (bytes) => parser.push(bytes),
      end: () => {
        parser.end();
        if (unparsed > 0) this.problems.push(`${unparsed} SSE event(s) had data that is not valid JSON`);
        if (oversized > 0) this.problems.push(`${oversized} SSE event(s) passed the ${formatBytes(this.maxEvent)} cap and were skipped`);
      },
    };
  }

  private jsonSink(reader: PayloadReader): BodySink {
    const onItem = reader.items ? (value: unknown) => this.deliver(() => reader.payload(value, null)) : undefined;
    const picker = new JsonPicker(reader.spec, { onItem, sequence: reader.items === "lines" });
    return {
      kind: "json",
      push: (bytes) => picker.push(bytes),
      end: () => {
        const picked = picker.end();
        if (picked.status === "invalid") this.problems.push(`response body is not valid JSON (${picked.reason})`);
        else if (picked.status === "incomplete") this.problems.push(`response body is incomplete JSON (${picked.reason})`);
        if (picker.pruned) this.problems.push("response body had too many fields to keep; some were dropped");
        const streamedRoot = reader.items === "array" && Array.isArray(picked.value);
        if (picked.value !== undefined && !streamedRoot) this.deliver(() => reader.payload(picked.value, null));
      },
    };
  }

  private errorSink(): BodySink {
    const picker = new JsonPicker(ERROR_SPEC);
    return {
      kind: "error",
      push: (bytes) => picker.push(bytes),
      end: () => {
        this.errorBody = picker.end().value;
      },
    };
  }

  /** Runs reader code: a reader bug costs this row its detail, never the observer. */
  private deliver(run: () => void): void {
    try {
      run();
    } catch (err) {
      if (this.problems.length < 8) this.problems.push(adapterError(err));
    }
  }

  private guard(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.problems.push(adapterError(err));
      this.sink = null;
      this.sniffed = null;
      this.decoder = null;
    }
  }

  private requestFacts(): RequestFacts {
    const value = this.requestPicker?.end().value;
    const body = isObject(value) ? value : undefined;
    return { body, model: text(body?.model), stream: body?.stream === true };
  }

  private build(complete: boolean): UsageResult {
    this.guard(() => {
      if (this.sniffed !== null && this.sniffed.length > 0) this.sink = this.jsonSink(this.reader!);
      for (const p of this.sniffed ?? []) this.sink?.push(p);
      const problem = this.decoder?.problem;
      if (problem) this.problems.push(problem);
      this.sink?.end();
    });
    const request = this.requestFacts();
    const stream = this.endpoint.streamPath === true || request.stream || this.sink?.kind === "sse";
    if (this.reader?.finish) this.deliver(() => this.reader!.finish!(request, stream));
    return usageResult({
      endpoint: this.endpoint,
      request,
      stream,
      status: this.status,
      tally: this.tally,
      problems: this.problems,
      errorBody: this.errorBody,
      complete,
    });
  }
}

function firstNonSpace(pieces: Uint8Array[]): number | null {
  for (const piece of pieces) {
    for (const b of piece) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  }
  return null;
}
