// One direction of a relay, with backpressure: an Outbox to the sink, the source paused while
// it holds bytes and resumed on the sink's drain, and a half-close passed on once all is out.
// Pure apart from the two small interfaces it drives.

import { Outbox } from "./outbox.ts";

export interface Sink {
  /** Bytes accepted (possibly fewer than given, possibly 0 or negative once closed). */
  write(data: Uint8Array): number;
  /** Half-close: send FIN, keep reading. */
  shutdown(): void;
}

export interface Source {
  pause(): void;
  resume(): void;
}

export class Pipe {
  private readonly out: Outbox;
  private inputEnded = false;
  private finished = false;

  constructor(
    private readonly source: Source,
    private readonly sink: Sink,
    /** Called once the sink has been half-closed after all input was delivered. */
    private readonly onFinished: () => void = () => {},
  ) {
    this.out = new Outbox((d) => sink.write(d));
  }

  get pending(): number {
    return this.out.pending;
  }

  /** Bytes delivered to the sink so far. */
  get delivered(): number {
    return this.out.delivered;
  }

  /** Source delivered bytes. The chunk is copied if any of it must wait. */
  push(chunk: Uint8Array): void {
    if (this.finished || chunk.length === 0) return;
    const backedUp = this.out.pending > 0;
    if (!this.out.send(chunk) && !backedUp) this.source.pause();
  }

  /** The sink can take more. */
  drain(): void {
    if (!this.out.flush()) return;
    if (this.inputEnded) this.finish();
    else this.source.resume();
  }

  /** The source sent FIN: half-close the sink once everything queued is out. */
  endOfInput(): void {
    this.inputEnded = true;
    if (this.out.pending === 0) this.finish();
  }

  /** The sink is gone: drop what waits for it and stop. */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.out.clear();
    this.onFinished();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.sink.shutdown();
    this.onFinished();
  }
}
