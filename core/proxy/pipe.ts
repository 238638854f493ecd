// One direction of a relay, with backpressure. Bun's socket.write() accepts what the kernel
// takes and buffers nothing: the rest is queued here while the source is paused, and flushed
// on the sink's drain. Pure apart from the two small interfaces it drives.

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
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private inputEnded = false;
  private finished = false;
  /** Bytes delivered to the sink so far. */
  delivered = 0;

  constructor(
    private readonly source: Source,
    private readonly sink: Sink,
    /** Called once the sink has been half-closed after all input was delivered. */
    private readonly onFinished: () => void = () => {},
  ) {}

  get pending(): number {
    return this.queuedBytes;
  }

  /** Source delivered bytes. The chunk is copied if any of it must wait. */
  push(chunk: Uint8Array): void {
    if (this.finished || chunk.length === 0) return;
    if (this.queue.length > 0) {
      this.enqueue(chunk);
      return;
    }
    const n = Math.max(0, this.sink.write(chunk));
    this.delivered += n;
    if (n < chunk.length) {
      this.enqueue(chunk.subarray(n));
      this.source.pause();
    }
  }

  /** The sink can take more. */
  drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = Math.max(0, this.sink.write(head));
      this.delivered += n;
      this.queuedBytes -= n;
      if (n < head.length) {
        this.queue[0] = head.subarray(n);
        return;
      }
      this.queue.shift();
    }
    if (this.inputEnded) this.finish();
    else this.source.resume();
  }

  /** The source sent FIN: half-close the sink once everything queued is out. */
  endOfInput(): void {
    this.inputEnded = true;
    if (this.queue.length === 0) this.finish();
  }

  /** The sink is gone: drop what waits for it and stop. */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.onFinished();
  }

  private enqueue(bytes: Uint8Array): void {
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    this.queue.push(copy);
    this.queuedBytes += copy.length;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.sink.shutdown();
    this.onFinished();
  }
}
